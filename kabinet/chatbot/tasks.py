from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from .models import ProcessedUpdate

KEEP = timedelta(days=7)


@task()
def forget_updates_task() -> int:
    removed, _ = ProcessedUpdate.objects.filter(received_at__lt=timezone.now() - KEEP).delete()
    return removed

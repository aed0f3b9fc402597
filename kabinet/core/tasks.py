from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from .models import RateLimitBucket


@task()
def prune_ratelimit_buckets() -> int:
    """Drop counters whose windows ended long ago."""
    deleted, _ = RateLimitBucket.objects.filter(
        window_start__lt=timezone.now() - timedelta(days=1)
    ).delete()
    return deleted

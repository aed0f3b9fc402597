from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from .models import RateLimitBucket, WorkerHeartbeat


@task()
def prune_ratelimit_buckets() -> int:
    """Drop counters whose windows ended long ago."""
    deleted, _ = RateLimitBucket.objects.filter(
        window_start__lt=timezone.now() - timedelta(days=1)
    ).delete()
    return deleted


@task()
def worker_heartbeat() -> None:
    """Queued by the scheduler every minute: its time on the row proves a worker runs tasks."""
    WorkerHeartbeat.objects.update_or_create(name="worker", defaults={"beat_at": timezone.now()})


@task()
def reap_lost_tasks() -> dict[str, int]:
    """Queued every minute: tasks left running by a worker that died go back to the queue."""
    from .workers import reap_lost_tasks as reap

    report = reap()
    return {"requeued": report.requeued, "failed": report.failed}

"""Core's periodic tasks, and how services queue work without importing their tasks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task

from .models import RateLimitBucket, WorkerHeartbeat


def enqueue_on_commit(task_path: str, *args: Any) -> None:
    """Queue the task at ``task_path`` once the current transaction commits.

    Tasks call services, never the other way round: a service names the task by its path,
    resolved when the transaction commits, so the service module never imports its tasks.
    Outside a transaction the task is queued at once.
    """
    transaction.on_commit(lambda: import_string(task_path).enqueue(*args))


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

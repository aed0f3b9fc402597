"""Periodic jobs. ``manage.py run_scheduler`` queues each when due; the task worker runs them.

State is in the database, so the schedule survives restarts and several schedulers
(one per app server) never queue the same run twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import ScheduledRun, WorkerHeartbeat

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    task: str  # dotted path of a django_tasks Task
    every_seconds: int


JOBS: list[Job] = [
    # /healthz reads the time this task last ran: a worker that runs nothing shows as stale.
    Job("core.worker_heartbeat", "kabinet.core.tasks.worker_heartbeat", 60),
    Job(
        "notifications.retry_emails",
        "kabinet.notifications.tasks.retry_due_notification_emails",
        60,
    ),
    Job("core.prune_ratelimits", "kabinet.core.tasks.prune_ratelimit_buckets", 3600),
    Job("core.reap_lost_tasks", "kabinet.core.tasks.reap_lost_tasks", 60),
    Job("cms.publish_scheduled", "kabinet.cms.tasks.publish_scheduled_pages", 60),
    Job("payments.capture_due", "kabinet.payments.tasks.capture_due_payments", 60),
]


def register(job: Job) -> None:
    if all(existing.name != job.name for existing in JOBS):
        JOBS.append(job)


def _claim(job: Job) -> bool:
    now = timezone.now()
    due_before = now - timedelta(seconds=job.every_seconds)
    updated = ScheduledRun.objects.filter(name=job.name, last_enqueued_at__lte=due_before).update(
        last_enqueued_at=now
    )
    if updated:
        return True
    if ScheduledRun.objects.filter(name=job.name).exists():
        return False
    try:
        with transaction.atomic():
            ScheduledRun.objects.create(name=job.name, last_enqueued_at=now)
    except IntegrityError:
        return False
    return True


def scheduler_tick() -> list[str]:
    """Queue every job that is due; returns the names queued."""
    queued = []
    for job in JOBS:
        if _claim(job):
            import_string(job.task).enqueue()
            queued.append(job.name)
    WorkerHeartbeat.objects.update_or_create(name="scheduler", defaults={"beat_at": timezone.now()})
    return queued

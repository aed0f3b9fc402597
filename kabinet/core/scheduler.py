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


def jobs() -> list[Job]:
    """Every app's periodic jobs (``periodic_jobs`` on its config, see core.apps)."""
    from .appconfig import contributions

    return [
        Job(name, task, every)
        for _config, declared in contributions("periodic_jobs")
        for name, task, every in declared  # type: ignore[attr-defined]
    ]


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
    for job in jobs():
        if _claim(job):
            import_string(job.task).enqueue()
            queued.append(job.name)
    WorkerHeartbeat.objects.update_or_create(name="scheduler", defaults={"beat_at": timezone.now()})
    return queued

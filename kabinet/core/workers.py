"""Tasks whose worker died: found by the worker's heartbeat, re-queued or failed visibly.

``manage.py db_worker`` (Kabinet's wrapper around django-tasks-db's) writes a heartbeat row
``db_worker:<worker id>`` every few seconds from a thread of its own. A task left
``RUNNING`` by a worker whose heartbeat stopped (the process was SIGKILLed, the machine
lost power) would otherwise stay "running" forever; the reaper puts it back in the queue
(every task of Kabinet is safe to run twice) or, after ``KABINET_TASK_MAX_RUNS`` runs that
each lost their worker, marks it failed with the reason, for the administrator to see.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import WorkerHeartbeat

logger = logging.getLogger(__name__)

PREFIX = "db_worker:"


def worker_beat(worker_id: str) -> None:
    WorkerHeartbeat.objects.update_or_create(
        name=f"{PREFIX}{worker_id}"[:100], defaults={"beat_at": timezone.now()}
    )


@dataclass
class ReapReport:
    requeued: int = 0
    failed: int = 0


def reap_lost_tasks(*, now: datetime | None = None) -> ReapReport:
    """Re-queue (or fail) the tasks left running by workers that stopped beating."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.KABINET_TASK_STALE_SECONDS)
    report = ReapReport()
    with transaction.atomic():
        running = list(
            DBTaskResult.objects.select_for_update(skip_locked=True)
            .filter(status=TaskResultStatus.RUNNING, started_at__lt=stale_before)
            .only("id", "worker_ids", "task_path", "started_at")
        )
        if not running:
            return report
        names = {f"{PREFIX}{(r.worker_ids or ['?'])[-1]}"[:100] for r in running}
        alive = set(
            WorkerHeartbeat.objects.filter(name__in=names, beat_at__gte=stale_before).values_list(
                "name", flat=True
            )
        )
        for result in running:
            worker = (result.worker_ids or ["?"])[-1]
            if f"{PREFIX}{worker}"[:100] in alive:
                continue
            runs = len(result.worker_ids or [])
            if runs < settings.KABINET_TASK_MAX_RUNS:
                result.status = TaskResultStatus.READY
                result.started_at = None
                result.save(update_fields=["status", "started_at"])
                report.requeued += 1
                logger.warning(
                    "task %s (%s) lost its worker %s: queued again (run %s of %s)",
                    result.id,
                    result.task_path,
                    worker,
                    runs,
                    settings.KABINET_TASK_MAX_RUNS,
                )
            else:
                result.status = TaskResultStatus.FAILED
                result.finished_at = now
                result.exception_class_path = "kabinet.core.workers.WorkerLost"
                result.traceback = (
                    f"WorkerLost: the worker stopped while running this task, {runs} times "
                    f"(last worker {worker}, started {result.started_at:%Y-%m-%d %H:%M:%S %Z}); "
                    "it is not queued again."
                )
                result.save(
                    update_fields=["status", "finished_at", "exception_class_path", "traceback"]
                )
                report.failed += 1
                logger.error(
                    "task %s (%s) lost its worker %s times: marked failed",
                    result.id,
                    result.task_path,
                    runs,
                )
    # Heartbeats of workers gone for a day are of no use any more.
    WorkerHeartbeat.objects.filter(
        name__startswith=PREFIX, beat_at__lt=now - timedelta(days=1)
    ).delete()
    return report

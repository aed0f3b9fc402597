"""django-tasks-db's worker, with a heartbeat of its own so a killed worker's task is found.

Same arguments as the original. Before it takes tasks, the worker re-queues what dead
workers left running; while it runs, a thread writes its heartbeat.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings
from django.db import connection
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from kabinet.core.workers import reap_lost_tasks, worker_beat

logger = logging.getLogger(__name__)


class Command(DbWorkerCommand):
    def handle(self, *args: Any, **options: Any) -> None:
        worker_id = options["worker_id"]
        worker_beat(worker_id)
        reap_lost_tasks()
        stop = threading.Event()
        beat = threading.Thread(target=self._beat, args=(worker_id, stop), daemon=True)
        beat.start()
        try:
            super().handle(*args, **options)
        finally:
            stop.set()

    @staticmethod
    def _beat(worker_id: str, stop: threading.Event) -> None:
        while not stop.wait(settings.KABINET_WORKER_BEAT_SECONDS):
            try:
                worker_beat(worker_id)
            except Exception:  # a missed beat is retried on the next tick
                logger.warning("worker heartbeat not written", exc_info=True)
            finally:
                connection.close()

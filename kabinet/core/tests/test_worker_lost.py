"""A task worker killed with SIGKILL mid-task: its task is found by the worker's silent
heartbeat and queued again, or failed with the reason after too many lost runs.

The worker is a real ``manage.py db_worker`` process on the test database.
"""

from __future__ import annotations

import os
import signal
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from kabinet.core.models import WorkerHeartbeat
from kabinet.core.workers import PREFIX, reap_lost_tasks

from .processes import database_url, manage

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "DATABASE_URL": database_url(),
        "KABINET_TASKS_BACKEND": "db",
        "KABINET_VAR_DIR": str(tmp_path / "var"),
        "KABINET_WORKER_BEAT_SECONDS": "1",
    }


def _enqueue(env: dict[str, str], marker: Path) -> DBTaskResult:
    code = f"from kabinet.core.tests.worker_tasks import nap; nap.enqueue({str(marker)!r})"
    out, _ = manage(env, "shell", "-c", code).communicate(timeout=120)
    assert "Traceback" not in out, out
    return DBTaskResult.objects.get()


def _killed_mid_task(env: dict[str, str], marker: Path) -> str:
    """Start a worker, wait until it is inside the task, SIGKILL it; its worker id."""
    worker = manage(env, "db_worker", "--interval", "0.1", "--no-startup-delay")
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert marker.exists(), "the worker never started the task"
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == -signal.SIGKILL
    return DBTaskResult.objects.get().worker_ids[-1]


def test_a_killed_workers_task_is_queued_again_and_finished_by_the_next_worker(env, tmp_path):
    marker = tmp_path / "runs"
    _enqueue(env, marker)
    worker_id = _killed_mid_task(env, marker)
    result = DBTaskResult.objects.get()
    assert result.status == TaskResultStatus.RUNNING
    assert WorkerHeartbeat.objects.filter(name=f"{PREFIX}{worker_id}").exists()

    # While the dead worker's heartbeat is fresh, nothing is taken from it.
    assert reap_lost_tasks().requeued == 0
    # Once it has been silent too long, the task goes back to the queue.
    later = timezone.now() + timedelta(seconds=settings.KABINET_TASK_STALE_SECONDS + 5)
    report = reap_lost_tasks(now=later)
    assert (report.requeued, report.failed) == (1, 0)
    assert DBTaskResult.objects.get().status == TaskResultStatus.READY

    worker = manage(env, "db_worker", "--interval", "0.1", "--no-startup-delay", "--batch")
    out, _ = worker.communicate(timeout=120)
    assert worker.returncode == 0, out
    result = DBTaskResult.objects.get()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == "run 2"
    assert len(result.worker_ids) == 2


def test_a_task_that_keeps_losing_its_worker_is_failed_with_the_reason(settings, env, tmp_path):
    settings.KABINET_TASK_MAX_RUNS = 1
    marker = tmp_path / "runs"
    _enqueue(env, marker)
    worker_id = _killed_mid_task(env, marker)

    later = timezone.now() + timedelta(seconds=settings.KABINET_TASK_STALE_SECONDS + 5)
    report = reap_lost_tasks(now=later)

    assert (report.requeued, report.failed) == (0, 1)
    result = DBTaskResult.objects.get()
    assert result.status == TaskResultStatus.FAILED
    assert result.exception_class_path == "kabinet.core.workers.WorkerLost"
    assert f"last worker {worker_id}" in result.traceback
    assert reap_lost_tasks(now=later).failed == 0  # once

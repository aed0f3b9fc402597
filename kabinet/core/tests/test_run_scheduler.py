"""``manage.py run_scheduler --now JOB`` queues one periodic job at once (the demo uses it to
run the forecast pass without waiting an hour); an unknown name is a clear error."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django_tasks_db.models import DBTaskResult

pytestmark = pytest.mark.django_db

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture(autouse=True)
def _queued_in_the_database(settings):
    settings.TASKS = DB_TASKS


def test_now_queues_the_named_job():
    out = io.StringIO()
    call_command("run_scheduler", now="forecast.pass", stdout=out)
    assert "queued: forecast.pass" in out.getvalue()
    assert DBTaskResult.objects.filter(
        task_path="kabinet.forecast.tasks.forecast_pass_task"
    ).exists()


def test_an_unknown_job_is_refused_with_the_known_names():
    with pytest.raises(CommandError, match=r"forecast\.pass"):
        call_command("run_scheduler", now="no.such.job")
    assert not DBTaskResult.objects.exists()

"""What /healthz checks. A fixed handful of indexed queries, whatever the data size."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Min
from django.utils import timezone
from django.utils.module_loading import import_string

from .appconfig import contributions


@dataclass
class Check:
    name: str
    ok: bool
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, **self.detail}


def _age(moment: datetime | None) -> int | None:
    return None if moment is None else max(0, int((timezone.now() - moment).total_seconds()))


def aged(name: str, moment: datetime | None, limit_seconds: int, *, missing_ok: bool) -> Check:
    """A check on how old something is: failing past the limit (0 turns the limit off)."""
    age = _age(moment)
    if age is None:
        return Check(name, missing_ok, {"age_seconds": None, "limit_seconds": limit_seconds})
    ok = limit_seconds <= 0 or age <= limit_seconds
    return Check(name, ok, {"age_seconds": age, "limit_seconds": limit_seconds})


def check_database() -> Check:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return Check("database", True)


def check_heartbeats() -> list[Check]:
    from .models import WorkerHeartbeat

    beats = dict(
        WorkerHeartbeat.objects.filter(name__in=["scheduler", "worker"]).values_list(
            "name", "beat_at"
        )
    )
    return [
        aged(
            "scheduler",
            beats.get("scheduler"),
            settings.KABINET_HEALTH_SCHEDULER_SECONDS,
            missing_ok=False,
        ),
        aged(
            "worker", beats.get("worker"), settings.KABINET_HEALTH_WORKER_SECONDS, missing_ok=False
        ),
    ]


def check_task_backlog() -> Check:
    """The oldest task that is due and still waits for a worker (database backend only)."""
    backend = str(settings.TASKS["default"]["BACKEND"])
    if not backend.startswith("django_tasks_db."):
        return Check("task_backlog", True, {"backend": backend})
    from django_tasks_db.models import DBTaskResult

    oldest = DBTaskResult.objects.ready().aggregate(oldest=Min("enqueued_at"))["oldest"]
    return aged(
        "task_backlog", oldest, settings.KABINET_HEALTH_TASK_BACKLOG_SECONDS, missing_ok=True
    )


def health_checks() -> list[Check]:
    """Every check; when the database fails nothing else is asked (it would fail the same)."""
    try:
        checks = [check_database()]
    except Exception as exc:
        return [Check("database", False, {"error": type(exc).__name__})]
    runs: list[tuple[str, Callable[[], Check | list[Check]]]] = [
        ("heartbeats", check_heartbeats),
        ("task_backlog", check_task_backlog),
    ]
    # Each app's own checks (``health_checks`` on its config, see core.apps).
    for config, dotted_paths in contributions("health_checks"):
        for dotted in dotted_paths:  # type: ignore[attr-defined]
            runs.append((config.label, import_string(dotted)))
    for name, run in runs:
        try:
            result = run()
        except Exception as exc:
            checks.append(Check(name, False, {"error": type(exc).__name__}))
        else:
            checks.extend(result if isinstance(result, list) else [result])
    return checks

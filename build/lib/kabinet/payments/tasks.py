from __future__ import annotations

from datetime import datetime

from django_tasks import task

from . import services


@task()
def capture_due_payments(now: str | None = None) -> dict[str, int]:
    """Capture holds whose money-back window ended; ``now`` (ISO) lets tests move the clock."""
    moment = datetime.fromisoformat(now) if now else None
    report = services.payment_capture_due(now=moment)
    return {
        "captured": report.captured,
        "failed": report.failed,
        "alerted": report.alerted,
        "synced": report.synced,
    }

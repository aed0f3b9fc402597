from __future__ import annotations

from django_tasks import task

from . import services


@task()
def forecast_pass_task() -> int:
    """Queued by the scheduler: every client's forecast, and the alerts that are due."""
    return services.forecast_pass().alerts

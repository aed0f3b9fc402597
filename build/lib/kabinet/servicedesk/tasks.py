from __future__ import annotations

from django_tasks import task

from . import services


@task()
def process_request(request_id: int) -> str:
    """Run the automation rules over a newly filed request (safe to run twice)."""
    return services.request_process(request_id=request_id)

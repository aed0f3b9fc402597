from __future__ import annotations

from django_tasks import task

from . import partitions


@task()
def partitions_task() -> list[str]:
    """Partitions for the coming months, and old ones dropped past retention."""
    made = partitions.partitions_ahead()
    partitions.calls_retention()
    return made

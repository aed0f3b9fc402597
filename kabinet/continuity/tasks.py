from __future__ import annotations

from django_tasks import task

from . import services


@task()
def credits_pass_task() -> dict[str, int]:
    return services.credits_pass()

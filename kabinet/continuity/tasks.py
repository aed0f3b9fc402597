from __future__ import annotations

from django_tasks import task

from . import autopay, services


@task()
def credits_pass_task() -> dict[str, int]:
    return services.credits_pass()


@task()
def autopay_send_task(payment_id: str) -> str:
    charge = autopay.charge_send(payment_id=payment_id)
    return charge.status if charge is not None else "none"


@task()
def autopay_pass_task() -> dict[str, int]:
    return autopay.autopay_pass()

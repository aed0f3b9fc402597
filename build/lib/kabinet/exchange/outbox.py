"""Recording website→billing changes. Call inside the transaction of the change itself."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from .models import OutboxRecord
from .registry import is_outbound, register_outbound


def register() -> None:
    """The website→billing types of the spec's first list (other apps register their own)."""
    register_outbound(
        "client.upserted",
        "subscription.upserted",
        "tariff.upserted",
        "payment.captured",
        "payment.refunded",
    )


def outbox_record(*, type: str, data: dict[str, Any]) -> OutboxRecord:
    if not is_outbound(type):
        raise ValueError(f"unknown site-to-billing record type {type!r}")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbox_record must run inside the transaction of the change")
    return OutboxRecord.objects.create(
        type=type, data=data, contract=str(data.get("contract", ""))[:20]
    )


def client_upserted_data(client: Any) -> dict[str, Any]:
    return {
        "contract": client.contract_number,
        "name": client.name,
        "inn": client.inn,
        "kpp": client.kpp or "",
        "status": client.status,
    }

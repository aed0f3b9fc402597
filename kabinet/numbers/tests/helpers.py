"""Shared set-up of the numbers tests: numbers as billing assigns them, and applications."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kabinet.exchange.tests.helpers import import_bytes
from kabinet.exchange.tests.peer import BillingPeer
from kabinet.numbers import services
from kabinet.numbers.models import CallCategory, CallLabelVersion, PhoneNumber

SINCE = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


def give(client: Any, *numbers: str, subscription: Any = None) -> list[PhoneNumber]:
    return [
        services.number_assign(
            client_id=client.pk,
            number=n,
            subscription_id=subscription.pk if subscription else None,
            at=SINCE,
        )
        for n in numbers
    ]


def file(client: Any, user: Any, **overrides: Any) -> CallLabelVersion:
    data: dict[str, Any] = {
        "client": client,
        "actor": user,
        "brand": "БалтЛог",
        "category": CallCategory.objects.get(code="delivery"),
        "display_text": "Балтийская логистика",
        "numbers": [p.number for p in services.current_numbers(client)],
        "consent": services.consent_current(),
        "ip": "192.0.2.7",
    }
    data.update(overrides)
    return services.label_apply(**data)


def status(peer: BillingPeer, version: CallLabelVersion, state: str, **kw: Any) -> dict:
    return peer.record(
        "call_label.status",
        contract=version.client.contract_number,
        label_id=str(version.label_id),
        version=kw.pop("number", version.version),
        status=state,
        reason=kw.pop("reason", ""),
        as_of=kw.pop("as_of", "2026-12-04T10:00:00Z"),
    )


def send(peer: BillingPeer, *records: dict):  # type: ignore[no-untyped-def]
    return import_bytes(peer.package(list(records)))

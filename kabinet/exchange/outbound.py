"""What the website tells billing: the apps' events become outbox records, in the same
transaction as the change (specs/billing-exchange.md, website→billing types).

Accounts, the catalog and subscriptions know nothing of billing; they send their events
(``accounts.events``, ``catalog.events``, ``subscriptions.events``) and this module, connected
in the exchange's ``AppConfig.ready()``, writes the records. Payments write theirs directly:
a payment keeps its ``payment.captured`` record to withdraw it before export.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from kabinet.accounts.events import client_changed
from kabinet.catalog.events import tariff_changed
from kabinet.lib.money import format_money
from kabinet.subscriptions.events import subscription_changed

from .outbox import client_upserted_data, outbox_record


def _exported(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The part of a client's audit snapshot that billing receives."""
    return {
        "contract": snapshot["contract_number"],
        "name": snapshot["name"],
        "inn": snapshot["inn"],
        "kpp": snapshot["kpp"] or "",
        "status": snapshot["status"],
    }


def on_client_changed(
    sender: Any, *, client: Any, before: dict[str, Any] | None, **kwargs: Any
) -> None:
    data = client_upserted_data(client)
    if before is not None and _exported(before) == data:
        return  # nothing billing knows of changed (a note, a contact person)
    outbox_record(type="client.upserted", data=data)


def on_tariff_changed(sender: Any, *, tariff: Any, version: Any, **kwargs: Any) -> None:
    outbox_record(
        type="tariff.upserted",
        data={
            "tariff_code": tariff.code,
            "service_code": tariff.service.code,
            "name": tariff.name,
            "visibility": tariff.visibility,
            "effective_from": (
                version.effective_from if version else timezone.localdate()
            ).isoformat(),
            "prices": {k: format_money(v) for k, v in (version.prices if version else {}).items()},
        },
    )


def on_subscription_changed(sender: Any, *, subscription: Any, **kwargs: Any) -> None:
    outbox_record(
        type="subscription.upserted",
        data={
            "contract": subscription.client.contract_number,
            "subscription_id": str(subscription.pk),
            "service_code": subscription.service.code,
            "tariff_code": subscription.tariff.code,
            "status": subscription.status,
            "parameters": subscription.parameters,
        },
    )


def connect() -> None:
    client_changed.connect(on_client_changed, dispatch_uid="exchange_client_upserted")
    tariff_changed.connect(on_tariff_changed, dispatch_uid="exchange_tariff_upserted")
    subscription_changed.connect(
        on_subscription_changed, dispatch_uid="exchange_subscription_upserted"
    )

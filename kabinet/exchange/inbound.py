"""The billing→website record types of the first list of the spec, applied to this app's models.

Client and subscription statuses are applied through the owning apps' services. Types that
belong to other apps (call details, bank payments, numbers …) are registered by those apps.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from kabinet.accounts.models import Client
from kabinet.accounts.services import client_set_status
from kabinet.subscriptions.models import Subscription
from kabinet.subscriptions.services import subscription_set_status

from . import records as f
from .models import BalanceSnapshot, BillingDocument, Charge, UsageSummary
from .records import KINDS, MAX_ID, STATUSES, ZONES, Record
from .registry import ApplyContext, ScanContext, register_inbound

_DOCUMENT_FIELDS = ["client", "kind", "number", "date", "amount", "pdf", "has_pdf", "package"]


def _snapshots(ctx: ApplyContext, run: list[tuple[int, Record]]) -> None:
    BalanceSnapshot.objects.bulk_create(
        BalanceSnapshot(
            client_id=ctx.client_id(r),
            package=ctx.package,
            balance=r.data["balance"],
            as_of=r.data["as_of"],
        )
        for _n, r in run
    )


def _charges(ctx: ApplyContext, run: list[tuple[int, Record]]) -> None:
    # Billing may send a corrected charge, summary or document again under a new record id:
    # the newest version wins.
    charges = {
        r.data["charge_id"]: Charge(
            client_id=ctx.client_id(r),
            package=ctx.package,
            charge_id=r.data["charge_id"],
            amount=r.data["amount"],
            period=r.data["period"],
            description=r.data["description"],
        )
        for _n, r in run
    }
    Charge.objects.bulk_create(
        charges.values(),
        update_conflicts=True,
        unique_fields=["charge_id"],
        update_fields=["client", "amount", "period", "description", "package"],
    )


def _usage(ctx: ApplyContext, run: list[tuple[int, Record]]) -> None:
    usage = {
        (ctx.client_id(r), r.data["period"], r.data["zone"]): UsageSummary(
            client_id=ctx.client_id(r),
            package=ctx.package,
            period=r.data["period"],
            zone=r.data["zone"],
            calls=r.data["calls"],
            minutes=r.data["minutes"],
            amount=r.data["amount"],
        )
        for _n, r in run
    }
    UsageSummary.objects.bulk_create(
        usage.values(),
        update_conflicts=True,
        unique_fields=["client", "period", "zone"],
        update_fields=["calls", "minutes", "amount", "package"],
    )


def _documents(ctx: ApplyContext, run: list[tuple[int, Record]]) -> None:
    documents = {
        r.data["document_id"]: BillingDocument(
            client_id=ctx.client_id(r),
            package=ctx.package,
            document_id=r.data["document_id"],
            kind=r.data["kind"],
            number=r.data["number"],
            date=r.data["date"],
            amount=r.data["amount"],
            pdf=r.data["pdf_base64"],
            has_pdf=bool(r.data["pdf_base64"]),
        )
        for _n, r in run
    }
    BillingDocument.objects.bulk_create(
        documents.values(),
        update_conflicts=True,
        unique_fields=["document_id"],
        update_fields=_DOCUMENT_FIELDS,
    )


def _client_status(ctx: ApplyContext, run: list[tuple[int, Record]]) -> None:
    for number, record in run:
        client = Client.objects.get(pk=ctx.client_id(record))
        if client.status == record.data["status"]:
            continue
        try:
            client_set_status(actor=None, client=client, status=record.data["status"])
        except ValidationError as exc:
            # The website's own rules win (a closed contract is never reopened); the package
            # still applies and the manager sees why this line changed nothing.
            ctx.note(number, f"not applied: {' '.join(exc.messages)}")


def _subscription_known(ctx: ScanContext, record: Record) -> str | None:
    key = (record.data["contract"], record.data["subscription_id"])
    if key not in ctx.known.subscriptions:
        return f"unknown subscription {key[1]!r} of contract {key[0]!r}"
    return None


def _subscription_status(ctx: ApplyContext, run: list[tuple[int, Record]]) -> None:
    for number, record in run:
        key = (record.data["contract"], record.data["subscription_id"])
        subscription = Subscription.objects.get(pk=ctx.known.subscriptions[key])
        try:
            subscription_set_status(
                actor=None, subscription=subscription, status=record.data["status"]
            )
        except ValidationError as exc:
            ctx.note(number, f"not applied: {' '.join(exc.messages)}")


def register() -> None:
    contract = f.text(20)
    register_inbound(
        "balance.snapshot",
        fields={"contract": contract, "balance": f.money, "as_of": f.time},
        apply=_snapshots,
    )
    register_inbound(
        "charge.posted",
        fields={
            "contract": contract,
            "charge_id": f.text(MAX_ID),
            "amount": f.money,
            "period": f.period,
            "description": f.text(empty=True),
        },
        apply=_charges,
    )
    register_inbound(
        "subscription.status",
        fields={
            "contract": contract,
            "subscription_id": f.text(MAX_ID),
            "status": f.choice(STATUSES),
        },
        apply=_subscription_status,
        check=_subscription_known,
    )
    register_inbound(
        "client.status",
        fields={"contract": contract, "status": f.choice(STATUSES)},
        apply=_client_status,
    )
    register_inbound(
        "usage.summary",
        fields={
            "contract": contract,
            "period": f.period,
            "zone": f.choice(ZONES),
            "calls": f.count,
            "minutes": f.count,
            "amount": f.money,
        },
        apply=_usage,
    )
    register_inbound(
        "document.issued",
        fields={
            "contract": contract,
            "document_id": f.text(MAX_ID),
            "kind": f.choice(KINDS),
            "number": f.text(MAX_ID),
            "date": f.date,
            "amount": f.money,
            "pdf_base64": f.pdf,
        },
        apply=_documents,
    )

"""The billing→website record types of the first list of the spec, applied to this app's models.

Client and subscription statuses are applied through the owning apps' services. Types that
belong to other apps (call details, bank payments, numbers …) are registered by those apps.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from kabinet.accounts.models import Client
from kabinet.accounts.services import client_set_status
from kabinet.lib.bulk import bulk_write
from kabinet.subscriptions.models import Subscription
from kabinet.subscriptions.services import subscription_set_status

from . import records as f
from .models import BalanceSnapshot, BillingDocument, Charge, UsageSummary
from .records import KINDS, MAX_ID, STATUSES, ZONES, Record
from .registry import ApplyContext, ScanContext, register_inbound

_DOCUMENT_FIELDS = ["client_id", "kind", "number", "date", "amount", "pdf", "has_pdf", "package_id"]


def _snapshots(ctx: ApplyContext, run: list[tuple[int, Record]]) -> None:
    package_id = ctx.package.pk
    bulk_write(
        BalanceSnapshot,
        ["client_id", "package_id", "balance", "as_of"],
        ((ctx.client_id(r), package_id, r.data["balance"], r.data["as_of"]) for _n, r in run),
    )


def _charges(ctx: ApplyContext, run: list[tuple[int, Record]]) -> None:
    # Billing may send a corrected charge, summary or document again under a new record id:
    # the newest version wins.
    package_id = ctx.package.pk
    charges = {
        r.data["charge_id"]: (
            r.data["charge_id"],
            ctx.client_id(r),
            r.data["amount"],
            r.data["period"],
            r.data["description"],
            package_id,
        )
        for _n, r in run
    }
    bulk_write(
        Charge,
        ["charge_id", "client_id", "amount", "period", "description", "package_id"],
        charges.values(),
        unique=["charge_id"],
        update=["client_id", "amount", "period", "description", "package_id"],
    )


def _usage(ctx: ApplyContext, run: list[tuple[int, Record]]) -> None:
    package_id = ctx.package.pk
    usage = {}
    for _n, r in run:
        data = r.data
        key = (ctx.client_id(r), data["period"], data["zone"])
        usage[key] = (*key, data["calls"], data["minutes"], data["amount"], package_id)
    bulk_write(
        UsageSummary,
        ["client_id", "period", "zone", "calls", "minutes", "amount", "package_id"],
        usage.values(),
        unique=["client_id", "period", "zone"],
        update=["calls", "minutes", "amount", "package_id"],
    )


def _documents(ctx: ApplyContext, run: list[tuple[int, Record]]) -> None:
    package_id = ctx.package.pk
    documents = {
        r.data["document_id"]: (
            r.data["document_id"],
            ctx.client_id(r),
            r.data["kind"],
            r.data["number"],
            r.data["date"],
            r.data["amount"],
            r.data["pdf_base64"],
            bool(r.data["pdf_base64"]),
            package_id,
        )
        for _n, r in run
    }
    bulk_write(
        BillingDocument,
        ["document_id", *_DOCUMENT_FIELDS],
        documents.values(),
        unique=["document_id"],
        update=_DOCUMENT_FIELDS,
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
        any_order=True,
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
        any_order=True,
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
        any_order=True,
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
        any_order=True,
    )

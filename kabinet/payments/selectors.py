"""Read queries shared by the cabinets."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from kabinet.accounts.models import Client
from kabinet.exchange.selectors import (
    Balance,
    Received,
    balance_of,
    latest_snapshots,
    payment_lines_for,
    payment_lines_since,
)
from kabinet.exchange.selectors import client_balance as billing_balance
from kabinet.lib.prepared import prepared

from .models import (
    BILLING_CHANNELS,
    ZERO,
    Channel,
    LedgerEntry,
    Payment,
    PaymentStatus,
    Provider,
)


def client_balance(*, client: Client) -> Decimal:
    """The client's balance, the same on every screen (specs/billing-exchange.md): billing's
    newest balance snapshot plus the website's own captured payments, less refunds, after
    its ``as_of``, plus the payments billing received after it; before billing has sent any
    snapshot, the website's ledger (which holds billing's received payments too)."""
    from kabinet.exchange.models import BalanceSnapshot

    if BalanceSnapshot.objects.filter(client=client).exists():
        return balance_detail(client=client).amount
    return ledger_balance(client=client)


def balance_detail(*, client: Client) -> Balance:
    """The balance with its parts: the snapshot and what came after it (the billing page)."""
    received = [
        Received(amount=amount, at=at)
        for amount, at in Payment.objects.filter(
            client=client, provider=Provider.BILLING, channel__in=BILLING_CHANNELS
        ).values_list("amount", "accepted_at")
        if at is not None
    ]
    return billing_balance(client, received=received)


def balances_for(clients: list[Client]) -> dict[int, Decimal]:
    """``client_balance`` of many clients at once, by client id: the same figure, in a fixed
    number of queries whatever the number of clients (the forecast's nightly pass)."""
    ids = [c.pk for c in clients]
    snapshots = latest_snapshots(ids)
    with_snapshot = [c for c in clients if c.pk in snapshots]
    without = [c.pk for c in clients if c.pk not in snapshots]
    lines: dict[str, list[Any]] = {}
    received: dict[int, list[Received]] = defaultdict(list)
    if with_snapshot:
        earliest = min(snapshots[c.pk].as_of for c in with_snapshot).replace(microsecond=0)
        lines = payment_lines_for(
            [c.contract_number for c in with_snapshot], since=earliest, states=False
        )
        for client_id, amount, at in Payment.objects.filter(
            client_id__in=[c.pk for c in with_snapshot],
            provider=Provider.BILLING,
            channel__in=BILLING_CHANNELS,
            accepted_at__isnull=False,
        ).values_list("client_id", "amount", "accepted_at"):
            if at is not None:
                received[client_id].append(Received(amount=amount, at=at))
    ledger: dict[int, Decimal] = {}
    if without:
        ledger = dict(
            LedgerEntry.objects.filter(client_id__in=without)
            .order_by()
            .values("client_id")
            .annotate(total=Sum("amount"))
            .values_list("client_id", "total")
        )
    result = {}
    for client in clients:
        snapshot = snapshots.get(client.pk)
        if snapshot is None:
            result[client.pk] = ledger.get(client.pk) or ZERO
        else:
            result[client.pk] = balance_of(
                snapshot, lines.get(client.contract_number, []), received[client.pk]
            ).amount
    return result


# The parts of a balance as annotations of a query that has the client's id in "client_id"
# (``balance_parts``), so a screen reads them with what it reads already (one query instead
# of four); ``balance_from_parts`` adds the site's own movements after the snapshot.
def balance_parts() -> dict[str, Any]:
    """The newest snapshot's id, balance, as_of, package and the package's ``ack_through``;
    the payments billing received after that as_of (the sum: ``balance_of`` adds each one
    received later than it); the ledger's sum for a client without a snapshot."""
    from kabinet.exchange.models import BalanceSnapshot

    money: Any = DecimalField(max_digits=14, decimal_places=2)
    newest = BalanceSnapshot.objects.filter(client_id=OuterRef("client_id")).order_by(
        "-as_of", "-id"
    )
    received = (
        Payment.objects.filter(
            client_id=OuterRef("client_id"),
            provider=Provider.BILLING,
            channel__in=BILLING_CHANNELS,
            accepted_at__gt=OuterRef("balance_as_of"),
        )
        .order_by()
        .values("client_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    ledger = (
        LedgerEntry.objects.filter(client_id=OuterRef("client_id"))
        .order_by()
        .values("client_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return {
        "balance_snapshot_id": Subquery(newest.values("id")[:1]),
        "balance_base": Subquery(newest.values("balance")[:1], output_field=money),
        "balance_as_of": Subquery(newest.values("as_of")[:1]),
        "balance_package_id": Subquery(newest.values("package_id")[:1]),
        "balance_ack_through": Subquery(newest.values("package__ack_through")[:1]),
        "balance_received": Subquery(received, output_field=money),
        "balance_ledger": Subquery(ledger, output_field=money),
    }


def balance_from_parts(client: Client, row: Any) -> Decimal:
    """``client_balance`` from a row annotated with ``balance_parts`` (one more query when
    billing has sent a snapshot: the site's movements after it)."""
    from kabinet.exchange.models import BalanceSnapshot, ExchangePackage

    if row.balance_snapshot_id is None:
        return row.balance_ledger or ZERO
    snapshot = BalanceSnapshot(
        id=row.balance_snapshot_id,
        client_id=client.pk,
        balance=row.balance_base,
        as_of=row.balance_as_of,
        package=ExchangePackage(id=row.balance_package_id, ack_through=row.balance_ack_through),
    )
    lines = payment_lines_since(client.contract_number, snapshot.as_of.replace(microsecond=0))
    received = row.balance_received or ZERO
    return balance_of(snapshot, lines).amount + received


def ledger_balance(*, client: Client) -> Decimal:
    """The sum of the client's ledger: captured payments less refunds and cancellations."""
    return LedgerEntry.objects.filter(client=client).aggregate(total=Coalesce(Sum("amount"), ZERO))[
        "total"
    ]


@prepared
def _held(client_id: int) -> QuerySet[Payment, Any]:
    return (
        Payment.objects.filter(
            client_id=client_id, channel=Channel.CARD, status=PaymentStatus.AUTHORIZED
        )
        .order_by()
        .values("client_id")
        .annotate(total=Sum("amount"))
        .values("total")
    )


def client_held_amount(*, client: Client) -> Decimal:
    """Card payments held at the gateway, not yet on the balance (compiled once)."""
    rows = _held.values(client_id=client.pk)
    return rows[0]["total"] if rows else ZERO


def client_payments(*, client: Client) -> QuerySet[Payment]:
    # A payment the gateway never heard of is noise for the client; managers still see it.
    return Payment.objects.filter(client=client).exclude(status=PaymentStatus.FAILED)


def _day_start(day: Any) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def payment_search(*, filters: dict[str, Any]) -> QuerySet[Payment]:
    """The manager's list: ``filters`` are a PaymentFilterForm's valid cleaned values."""
    qs = Payment.objects.select_related("client")
    status = filters.get("status")
    if status == "flagged":
        qs = qs.filter(flagged=True)
    elif status:
        qs = qs.filter(status=status)
    if filters.get("channel"):
        qs = qs.filter(channel=filters["channel"])
    if filters.get("provider"):
        qs = qs.filter(provider=filters["provider"])
    if filters.get("contract"):
        qs = qs.filter(client__contract_number__startswith=filters["contract"])
    if filters.get("date_from"):
        qs = qs.filter(created_at__gte=_day_start(filters["date_from"]))
    if filters.get("date_to"):
        qs = qs.filter(created_at__lt=_day_start(filters["date_to"] + timedelta(days=1)))
    if filters.get("amount_min") is not None:
        qs = qs.filter(amount__gte=filters["amount_min"])
    if filters.get("amount_max") is not None:
        qs = qs.filter(amount__lte=filters["amount_max"])
    return qs


def totals_of(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The grand totals of ``payment_totals_by_provider`` rows (no query)."""
    return {
        "count": sum(row["count"] for row in rows),
        **{
            key: sum((row[key] for row in rows), ZERO) for key in ("amount", "captured", "refunded")
        },
    }


def payment_totals_by_provider(qs: QuerySet[Payment]) -> list[dict[str, Any]]:
    """The same totals for each provider that took money in ``qs`` (one grouped query)."""
    labels = dict(Provider.choices)
    rows = (
        qs.order_by()
        .values("provider")
        .annotate(
            count=Count("id"),
            amount=Coalesce(Sum("amount"), ZERO),
            captured=Coalesce(Sum("captured_amount"), ZERO),
            refunded=Coalesce(Sum("refunded_amount"), ZERO),
        )
        .order_by("provider")
    )
    return [{**row, "label": labels.get(row["provider"], row["provider"])} for row in rows]

"""Read-side queries over billing data, shared by the client and manager cabinets."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Max, Min, OuterRef, Q, QuerySet, Subquery, TextField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from kabinet.accounts.models import Client
from kabinet.lib.prepared import prepared

from .models import (
    BalanceSnapshot,
    Direction,
    ExchangePackage,
    OutboxRecord,
    PackageStatus,
    UsageSummary,
    Zone,
)
from .packages import parse_utc

PAYMENT_TYPES = ("payment.captured", "payment.refunded")


@dataclass
class PaymentLine:
    """One website money movement as the outbox sent (or will send) it to billing."""

    type: str
    payment_id: str
    amount: Decimal
    at: dt.datetime | None
    channel: str
    package_sequence: int | None
    state: str  # "pending" (not exported), "exported", "confirmed"

    @property
    def signed_amount(self) -> Decimal:
        return self.amount if self.type == "payment.captured" else -self.amount


def confirmed_through() -> int:
    value = ExchangePackage.objects.filter(
        direction=Direction.SITE_TO_BILLING, status=PackageStatus.CONFIRMED
    ).aggregate(m=Max("sequence"))["m"]
    return int(value or 0)


def _payment_line(
    type_: str,
    payment_id: Any,
    amount: Any,
    when: Any,
    channel: Any,
    sequence: int | None,
    through: int,
) -> PaymentLine:
    if sequence is None:
        state = "pending"
    elif sequence <= through:
        state = "confirmed"
    else:
        state = "exported"
    return PaymentLine(
        type=type_,
        payment_id=str(payment_id or ""),
        amount=Decimal(str(amount or "0")),
        at=parse_utc(when) if isinstance(when, str) else None,
        channel=str(channel or ""),
        package_sequence=sequence,
        state=state,
    )


def payment_lines(client: Client) -> list[PaymentLine]:
    """The site's captured payments and refunds of one contract, oldest first (2 queries)."""
    return payment_lines_for([client.contract_number]).get(client.contract_number, [])


def payment_lines_for(
    contracts: list[str], since: dt.datetime | None = None, *, states: bool = True
) -> dict[str, list[PaymentLine]]:
    """The same for many contracts at once, by contract (2 queries whatever their number).

    ``since``: only movements at or after this moment (the earliest snapshot ``as_of`` of the
    batch): older ones can never count after a snapshot, and a contract may have thousands.
    The wire's times are uniform RFC 3339 UTC strings, so the database compares them as text.

    ``states=False``: for a balance, which reads a line's package but never its state (one
    query, every state "exported" or "pending").
    """
    through = confirmed_through() if states else 0
    lines: dict[str, list[PaymentLine]] = defaultdict(list)
    records = OutboxRecord.objects.filter(contract__in=contracts, type__in=PAYMENT_TYPES)
    if since is not None:
        records = _at_or_after(records, _wire_moment(since))
    for row in _line_values(records):
        lines[row[0]].append(_line_of(row, through))
    return lines


def payment_lines_since(contract: str, since: dt.datetime) -> list[PaymentLine]:
    """One contract's movements at or after ``since`` for its balance (one query, compiled
    once: every cabinet page with a balance reads them; states as ``states=False``)."""
    rows = _lines_since.values(contract=contract, moment=_wire_moment(since))
    return [_line_of(tuple(row.values()), 0) for row in rows]


def _wire_moment(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _at_or_after(records: QuerySet[OutboxRecord], moment: str) -> QuerySet[OutboxRecord]:
    # As text: a key transform's own comparisons would read the moment as JSON.
    return records.alias(
        captured_at=Cast(KT("data__captured_at"), TextField()),
        refunded_at=Cast(KT("data__refunded_at"), TextField()),
    ).filter(
        Q(type="payment.captured", captured_at__gte=moment)
        | Q(type="payment.refunded", refunded_at__gte=moment)
    )


def _line_values(records: QuerySet[OutboxRecord]) -> QuerySet[OutboxRecord, tuple[Any, ...]]:
    # Only the members needed, as text from the database: no model objects, no JSON decoding
    # in Python (a batch of a thousand contracts may read tens of thousands of records).
    return records.order_by("id").values_list(
        "contract",
        "type",
        KT("data__payment_id"),
        KT("data__amount"),
        KT("data__captured_at"),
        KT("data__refunded_at"),
        KT("data__channel"),
        "package_sequence",
    )


@prepared
def _lines_since(contract: str, moment: str) -> QuerySet[OutboxRecord, Any]:
    records = OutboxRecord.objects.filter(contract=contract, type__in=PAYMENT_TYPES)
    return (
        _at_or_after(records, moment)
        .order_by("id")
        .values(
            "contract",
            "type",
            payment_id=KT("data__payment_id"),
            amount=KT("data__amount"),
            captured=KT("data__captured_at"),
            refunded=KT("data__refunded_at"),
            channel=KT("data__channel"),
            sequence=F("package_sequence"),
        )
    )


def _line_of(row: tuple[Any, ...], through: int) -> PaymentLine:
    _contract, type_, payment_id, amount, captured_at, refunded_at, channel, sequence = row
    when = captured_at if type_ == "payment.captured" else refunded_at
    return _payment_line(type_, payment_id, amount, when, channel, sequence, through)


@dataclass(frozen=True)
class Received:
    """A payment billing received itself (a bank transfer) and told the website of."""

    amount: Decimal
    at: dt.datetime


@dataclass
class Balance:
    snapshot: BalanceSnapshot | None
    after: list[PaymentLine] = field(default_factory=list)
    received_after: list[Received] = field(default_factory=list)

    @property
    def payments_after(self) -> Decimal:
        return sum((p.amount for p in self.after if p.type == "payment.captured"), Decimal("0"))

    @property
    def refunds_after(self) -> Decimal:
        return sum((p.amount for p in self.after if p.type == "payment.refunded"), Decimal("0"))

    @property
    def received_after_total(self) -> Decimal:
        return sum((r.amount for r in self.received_after), Decimal("0"))

    @property
    def amount(self) -> Decimal:
        base = self.snapshot.balance if self.snapshot else Decimal("0.00")
        return base + self.payments_after - self.refunds_after + self.received_after_total


def latest_snapshot(client: Client) -> BalanceSnapshot | None:
    return (
        BalanceSnapshot.objects.filter(client=client)
        .select_related("package")
        .order_by("-as_of", "-id")
        .first()
    )


def latest_snapshots(client_ids: list[int]) -> dict[int, BalanceSnapshot]:
    """Each client's newest snapshot, by client id (one query whatever their number)."""
    newest = Subquery(
        BalanceSnapshot.objects.filter(client_id=OuterRef("client_id"))
        .order_by("-as_of", "-id")
        .values("id")[:1]
    )
    return {
        s.client_id: s
        for s in BalanceSnapshot.objects.filter(client_id__in=client_ids, id=newest)
        .select_related("package")
        .order_by()
    }


def balance_of(
    snapshot: BalanceSnapshot | None,
    payments: list[PaymentLine],
    received: list[Received] | None = None,
) -> Balance:
    """The spec's balance from its parts (no queries): the newest billing snapshot plus the
    site's own money movements after its ``as_of``, plus the payments billing received
    after it (``received``; the payments app passes them).

    The rule for billing's own payments: a snapshot as of a moment includes every payment
    billing received up to that moment, so one received at or before ``as_of`` is in the
    snapshot already and is never counted twice; one received later is added.
    """
    received = received or []
    if snapshot is None:
        return Balance(snapshot=None, after=list(payments), received_after=list(received))
    as_of = snapshot.as_of.replace(microsecond=0)
    acked = snapshot.package.ack_through

    def after(payment: PaymentLine) -> bool:
        if payment.at is None:
            return False
        moment = payment.at.replace(microsecond=0)
        if moment != as_of:
            return moment > as_of
        # The wire has whole seconds: on a tie, the package billing had applied decides.
        return payment.package_sequence is None or payment.package_sequence > acked

    return Balance(
        snapshot=snapshot,
        after=[p for p in payments if after(p)],
        received_after=[r for r in received if r.at > snapshot.as_of],
    )


def client_balance(
    client: Client,
    payments: list[PaymentLine] | None = None,
    received: list[Received] | None = None,
) -> Balance:
    """One client's balance (see ``balance_of``)."""
    snapshot = latest_snapshot(client)
    if payments is None:
        payments = payment_lines(client)
    return balance_of(snapshot, payments, received)


@dataclass
class MonthUsage:
    period: str
    zones: list[UsageSummary]
    calls: int
    minutes: int
    amount: Decimal


def usage_by_month(client: Client) -> list[MonthUsage]:
    order = {zone: i for i, zone in enumerate(Zone.values)}
    months: dict[str, list[UsageSummary]] = defaultdict(list)
    for row in UsageSummary.objects.filter(client=client).order_by("-period"):
        months[row.period].append(row)
    result = []
    for period, rows in months.items():
        rows.sort(key=lambda r: order.get(r.zone, 99))
        result.append(
            MonthUsage(
                period=period,
                zones=rows,
                calls=sum(r.calls for r in rows),
                minutes=sum(r.minutes for r in rows),
                amount=sum((r.amount for r in rows), Decimal("0")),
            )
        )
    return result


def unconfirmed_summary() -> dict[str, Any]:
    """What billing has not confirmed yet: outbox records not exported or not acknowledged."""
    pending = OutboxRecord.objects.filter(package_sequence__isnull=True).aggregate(
        count=Count("id"), since=Min("at")
    )
    unconfirmed_packages = ExchangePackage.objects.filter(
        direction=Direction.SITE_TO_BILLING, status=PackageStatus.EXPORTED
    )
    sequences = list(unconfirmed_packages.values_list("sequence", flat=True))
    exported = OutboxRecord.objects.filter(package_sequence__in=sequences).aggregate(
        count=Count("id"), since=Min("at")
    )
    oldest_package = unconfirmed_packages.order_by("sequence").first()
    return {
        "pending_count": pending["count"],
        "pending_since": pending["since"],
        "exported_count": exported["count"],
        "exported_since": exported["since"],
        "packages": len(sequences),
        "oldest_package": oldest_package,
    }

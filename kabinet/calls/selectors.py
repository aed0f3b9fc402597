"""Reading a client's calls: one filter, totals, the days of the period, keyset pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from kabinet.accounts.models import Client

from .models import DURATION_STEPS, Call, CallDay

MAX_DAYS = 92
PAGE_SIZE = 50
MAX_ID = 2**63 - 1


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


@dataclass(frozen=True)
class Period:
    """Days ``first``..``last`` (inclusive) of the operator's calendar."""

    first: dt.date
    last: dt.date
    month: tuple[int, int] | None = None

    @classmethod
    def of_month(cls, month: tuple[int, int]) -> Period:
        first = dt.date(month[0], month[1], 1)
        following = dt.date(month[0] + month[1] // 12, month[1] % 12 + 1, 1)
        return cls(first, following - dt.timedelta(days=1), month)

    @classmethod
    def of_days(cls, first: dt.date, last: dt.date) -> Period:
        return cls(first, last)

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.first, dt.time(), tzinfo=_zone())

    @property
    def end(self) -> dt.datetime:
        return dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(), tzinfo=_zone())

    @property
    def key(self) -> str:
        if self.month:
            return f"{self.month[0]:04d}-{self.month[1]:02d}"
        return f"{self.first.isoformat()}_{self.last.isoformat()}"

    def days(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=i) for i in range((self.last - self.first).days + 1)]


@dataclass(frozen=True)
class Cursor:
    """The last row of the previous page: the next page starts right after it."""

    started_at: dt.datetime
    id: int

    def __str__(self) -> str:
        return f"{self.started_at.astimezone(dt.UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')},{self.id}"


def parse_cursor(value: str) -> Cursor | None:
    moment, _sep, raw_id = value.rpartition(",")
    try:
        started_at = dt.datetime.fromisoformat(moment)
        pk = int(raw_id)
    except ValueError:
        return None
    if started_at.tzinfo is None or not 0 < pk <= MAX_ID or not raw_id.isdigit():
        return None
    return Cursor(started_at, pk)


@dataclass(frozen=True)
class CallFilter:
    period: Period
    number: str = ""
    direction: str = ""
    zone: str = ""
    peer: str = ""
    min_duration: int | None = None
    after: Cursor | None = None


def _kept_filters(qs: QuerySet[Any], flt: CallFilter) -> QuerySet[Any]:
    """The filters that the calls and their per-day totals share."""
    if flt.number:
        qs = qs.filter(number=flt.number)
    if flt.direction:
        qs = qs.filter(direction=flt.direction)
    if flt.zone:
        qs = qs.filter(zone=flt.zone)
    return qs


def calls_filtered(client: Client, flt: CallFilter) -> QuerySet[Call]:
    """The client's calls of the filter (any page), newest first."""
    qs = Call.objects.filter(
        client=client, started_at__gte=flt.period.start, started_at__lt=flt.period.end
    )
    qs = _kept_filters(qs, flt)
    if flt.peer:
        qs = qs.filter(peer__startswith=flt.peer)
    if flt.min_duration:
        qs = qs.filter(duration_s__gte=flt.min_duration)
    return qs.order_by("-started_at", "-id")


@dataclass(frozen=True)
class Totals:
    calls: int
    seconds: int
    minutes: int
    amount: Decimal


ZERO_TOTALS = Totals(calls=0, seconds=0, minutes=0, amount=Decimal("0.00"))


def _totals_expressions() -> dict[str, Any]:
    """Calls, their time, minutes as billed (each call rounded up) and the amount."""
    return {
        "calls": Count("id"),
        "seconds": Coalesce(Sum("duration_s"), Value(0)),
        "minutes": Coalesce(Sum((F("duration_s") + 59) / 60), Value(0)),
        "amount": Coalesce(Sum("amount"), Value(Decimal("0.00"))),
    }


def _cells_expressions() -> dict[str, Any]:
    """The same totals summed over per-day cells (CallDay)."""
    return {
        "calls": Sum("calls"),
        "seconds": Sum("seconds"),
        "minutes": Sum("minutes"),
        "amount": Sum("amount"),
    }


def _totals_of(row: dict[str, Any]) -> Totals:
    return Totals(
        calls=int(row["calls"] or 0),
        seconds=int(row["seconds"] or 0),
        minutes=int(row["minutes"] or 0),
        amount=Decimal(row["amount"] or 0).quantize(Decimal("0.01")),
    )


def from_days(flt: CallFilter) -> bool:
    """Whether the per-day cells answer the filter's totals: every filter but the other
    party's number and a minimum duration between the steps."""
    return not flt.peer and (not flt.min_duration or flt.min_duration in DURATION_STEPS)


def _cells(client: Client, flt: CallFilter) -> QuerySet[CallDay]:
    qs = CallDay.objects.filter(client=client, day__gte=flt.period.first, day__lte=flt.period.last)
    qs = _kept_filters(qs, flt)
    if flt.min_duration:
        qs = qs.filter(min_duration_s__gte=flt.min_duration)
    return qs


def totals_by_number(client: Client, period: Period) -> dict[str, Totals]:
    """The totals of each of the client's own numbers over the period, in one grouped query
    over the period's per-day cells."""
    rows = (
        CallDay.objects.filter(client=client, day__gte=period.first, day__lte=period.last)
        .order_by()
        .values("number")
        .annotate(**_cells_expressions())
    )
    return {row["number"]: _totals_of(row) for row in rows}


def this_month() -> Period:
    """The current month of the operator's calendar."""
    today = timezone.localdate(timezone=_zone())
    return Period.of_month((today.year, today.month))


@dataclass(frozen=True)
class Day:
    date: dt.date
    calls: int
    seconds: int
    amount: Decimal


def calls_summary(client: Client, flt: CallFilter) -> tuple[Totals, list[Day]]:
    """The filter's totals and every day of its period (days without calls too), in one
    query: over the per-day cells where they answer the filter, else over the calls."""
    rows: Iterable[dict[str, Any]]
    if from_days(flt):
        rows = _cells(client, flt).order_by().values("day").annotate(**_cells_expressions())
    else:
        rows = (
            calls_filtered(client, flt)
            .order_by()
            .annotate(day=TruncDate("started_at", tzinfo=_zone()))
            .values("day")
            .annotate(**_totals_expressions())
        )
    found = {row["day"]: _totals_of(row) for row in rows}
    days = []
    for date in flt.period.days():
        found_day = found.get(date, ZERO_TOTALS)
        days.append(Day(date, found_day.calls, found_day.seconds, found_day.amount))
    totals = Totals(
        calls=sum(t.calls for t in found.values()),
        seconds=sum(t.seconds for t in found.values()),
        minutes=sum(t.minutes for t in found.values()),
        amount=sum((t.amount for t in found.values()), Decimal("0.00")),
    )
    return totals, days


def calls_page(
    qs: QuerySet[Call], after: Cursor | None, size: int = PAGE_SIZE
) -> tuple[list[Call], Cursor | None]:
    """One page after ``after`` (keyset: never OFFSET), and the cursor of the next one."""
    if after is not None:
        qs = qs.filter(
            Q(started_at__lt=after.started_at) | Q(started_at=after.started_at, id__lt=after.id)
        )
    rows = list(qs[: size + 1])
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        return rows, Cursor(last.started_at, last.pk)
    return rows, None

"""Demo call details: this month's calls so far for the active demo clients (billing sends a
month's calls after it closes; the round trip through billingsim brings the earlier months).
Idempotent: a client that has calls this month is left as it is."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from kabinet.accounts.models import Client, ClientStatus
from kabinet.subscriptions.models import Subscription

from . import partitions
from .days import calls_store
from .models import Call

# Outgoing calls per working day by client (100001 is the busy one the demo signs in as).
PER_DAY = {"100001": 30, "100002": 6, "100003": 9, "100004": 2}
DEFAULT_PRICES = {
    "local": Decimal("1.50"),
    "long_distance": Decimal("3.50"),
    "international": Decimal("19.90"),
}
ZONE_MIX = (("local", 70), ("long_distance", 24), ("international", 6))
LONGEST = {"local": 6, "long_distance": 12, "international": 20}


def _numbers_and_prices(client: Client) -> tuple[list[str], dict[str, Decimal]]:
    numbers: list[str] = []
    prices = dict(DEFAULT_PRICES)
    today = timezone.localdate()
    for sub in Subscription.objects.filter(client=client).select_related("tariff"):
        digits = "".join(ch for ch in str(sub.parameters.get("number") or "") if ch.isdigit())
        if len(digits) == 11 and digits not in numbers:
            numbers.append(digits)
        version = sub.tariff.version_on(today)
        for zone in prices:
            price = version.prices.get(f"per_minute_{zone}") if version else None
            if price:
                prices[zone] = price
    return numbers, prices


def _month_calls(
    client: Client, month: partitions.Month, until: dt.datetime, per_day: int
) -> list[Call]:
    from billingsim import calls as generator

    rng = random.Random(f"demo:{client.contract_number}:{month}")
    numbers, prices = _numbers_and_prices(client)
    if not numbers:
        return []
    start = partitions.month_start(month)
    if until <= start + dt.timedelta(minutes=1):
        return []
    days = max((until - start).days + 1, 1)
    outgoing = per_day * days * 5 // 7
    period = f"{month[0]:04d}-{month[1]:02d}"
    made = []
    for zone, share in ZONE_MIX:
        count = outgoing * share // 100
        minutes = sum(rng.randint(1, LONGEST[zone]) for _ in range(count))
        made += list(
            generator.zone_calls(
                rng,
                contract=client.contract_number,
                period=period,
                zone=zone,
                calls=count,
                minutes=minutes,
                per_minute=prices[zone],
                numbers=numbers,
                until=until,
            )
        )
    made += list(
        generator.incoming_calls(
            rng,
            contract=client.contract_number,
            period=period,
            count=outgoing * 6 // 10,
            numbers=numbers,
            until=until,
        )
    )
    return [
        Call(
            client=client,
            call_id=f"demo-{c.call_id}",
            started_at=c.started_at,
            direction=c.direction,
            number=c.number,
            peer=c.peer,
            zone=c.zone,
            duration_s=c.duration_s,
            amount=c.amount,
        )
        for c in made
    ]


def load() -> list[str]:
    now = timezone.now()
    this = partitions.current_month()
    last = partitions.add_months(this, -1)
    partitions.partitions_ahead(behind=3)
    lines = []
    for contract, per_day in PER_DAY.items():
        client = Client.objects.filter(contract_number=contract, status=ClientStatus.ACTIVE).first()
        if client is None:
            continue
        rows: list[Call] = []
        for month, until in ((this, now), (last, partitions.month_start(this))):
            start = partitions.month_start(month)
            if Call.objects.filter(
                client=client, started_at__gte=start, started_at__lt=until
            ).exists():
                continue  # loaded before, or billing sent that month
            rows += _month_calls(client, month, until, per_day)
        calls_store(rows)
        if rows:
            lines.append(f"calls: {len(rows)} call details for client {contract}")
    return lines or ["calls: demo call details exist, left as they are"]

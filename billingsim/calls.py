"""Call details (`call.detail`, the spec's December 2026 list) behind a client's usage.

`bill --calls` turns each zone's simulated traffic (the calls and minutes of its
`usage.summary`) into single calls: from the client's own numbers (the `number`
parameter of its subscriptions), mostly in working hours on working days, to
peers that fit the zone, each billed by whole minutes at the tariff's price, so
the calls of a zone add up to its summary exactly. Some incoming calls (free)
are added. A generator seeded apart from the amounts keeps `--seed` runs equal
with and without `--calls`.
"""

from __future__ import annotations

import calendar
import json
import random
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from billingsim import outbox
from billingsim.clock import format_utc
from billingsim.money import format_money

# The operator's clock (Moscow, no daylight saving): working hours are local.
LOCAL = timezone(timedelta(hours=3))
# Weight of each hour of a working day: a morning and an afternoon peak, a lunch dip.
HOUR_WEIGHTS = [0, 0, 0, 0, 0, 0, 1, 2, 6, 12, 14, 13, 9, 10, 13, 12, 10, 6, 3, 2, 1, 1, 0, 0]
WEEKEND_SHARE = 0.08
LOCAL_PREFIXES = ("812",)
LONG_DISTANCE_PREFIXES = ("495", "499", "343", "383", "843", "861", "863", "846", "921", "916")
INTERNATIONAL_PREFIXES = ("49", "44", "33", "39", "86", "1", "375", "77", "90", "971")
INCOMING_SHARE = 0.6  # incoming calls per outgoing one
WITHHELD_SHARE = 0.05


@dataclass(frozen=True)
class Call:
    call_id: str
    started_at: datetime
    direction: str
    number: str
    peer: str
    zone: str
    duration_s: int
    amount: Decimal


def own_numbers(conn: sqlite3.Connection, contract: str) -> list[str]:
    """The client's numbers: digits of the subscriptions' `number` parameters."""
    numbers = []
    for row in conn.execute(
        "SELECT parameters FROM subscriptions WHERE contract = ? AND status = 'active' "
        "ORDER BY subscription_key",
        (contract,),
    ):
        value = json.loads(row["parameters"]).get("number")
        digits = "".join(ch for ch in str(value or "") if ch.isdigit())
        if len(digits) == 10:
            digits = "7" + digits
        elif len(digits) == 11 and digits.startswith("8"):
            digits = "7" + digits[1:]
        if 7 <= len(digits) <= 15 and digits not in numbers:
            numbers.append(digits)
    if not numbers:
        # A client whose numbers billing does not know yet still calls from one.
        numbers.append(
            f"7812{int(contract) % 10_000_000:07d}" if contract.isdigit() else "78120000000"
        )
    return numbers


def traffic_scale(conn: sqlite3.Connection, contract: str) -> int:
    """How many ordinary clients' traffic this one makes: half its lines (the `lines`
    parameter of its subscriptions), at least one."""
    lines = 0
    for row in conn.execute(
        "SELECT parameters FROM subscriptions WHERE contract = ? AND status = 'active'",
        (contract,),
    ):
        value = json.loads(row["parameters"]).get("lines")
        if isinstance(value, int) and value > 0:
            lines += value
    return max(1, lines // 2)


def _moment(rng: random.Random, year: int, month: int, until: datetime | None) -> datetime:
    days = calendar.monthrange(year, month)[1]
    start = datetime(year, month, 1, tzinfo=LOCAL)
    for _attempt in range(100):
        day = rng.randint(1, days)
        weekend = calendar.weekday(year, month, day) >= 5
        if weekend and rng.random() > WEEKEND_SHARE * 3.5:
            continue
        hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
        moment = datetime(
            year, month, day, hour, rng.randint(0, 59), rng.randint(0, 59), tzinfo=LOCAL
        )
        if until is None or moment < until:
            return moment.astimezone(UTC)
    # Early on the month's first morning no working hour has come yet: any moment so far.
    assert until is not None and until > start, "no time of the month has passed yet"
    span = int((until - start).total_seconds())
    return (start + timedelta(seconds=rng.randrange(max(span, 1)))).astimezone(UTC)


def _peer(rng: random.Random, zone: str) -> str:
    if zone == "local":
        return "7" + rng.choice(LOCAL_PREFIXES) + f"{rng.randint(0, 9_999_999):07d}"
    if zone == "long_distance":
        return "7" + rng.choice(LONG_DISTANCE_PREFIXES) + f"{rng.randint(0, 9_999_999):07d}"
    prefix = rng.choice(INTERNATIONAL_PREFIXES)
    return prefix + "".join(str(rng.randint(0, 9)) for _ in range(11 - len(prefix)))


def _split(rng: random.Random, minutes: int, calls: int) -> list[int]:
    """`calls` whole minutes, each at least 1, that add up to `minutes`."""
    parts = [1] * calls
    for _ in range(minutes - calls):
        parts[rng.randrange(calls)] += 1
    return parts


def zone_calls(
    rng: random.Random,
    *,
    contract: str,
    period: str,
    zone: str,
    calls: int,
    minutes: int,
    per_minute: Decimal,
    numbers: list[str],
    until: datetime | None = None,
) -> Iterator[Call]:
    """One zone's outgoing calls of a month (its usage summary, call by call)."""
    if calls <= 0:
        return
    year, month = int(period[:4]), int(period[5:7])
    for index, billed in enumerate(_split(rng, max(minutes, calls), calls)):
        yield Call(
            call_id=f"{contract}-{period}-{zone}-{index:05d}",
            started_at=_moment(rng, year, month, until),
            direction="out",
            number=rng.choice(numbers),
            peer=_peer(rng, zone),
            zone=zone,
            duration_s=(billed - 1) * 60 + rng.randint(1, 60),
            amount=(per_minute * billed).quantize(Decimal("0.01")),
        )


def incoming_calls(
    rng: random.Random,
    *,
    contract: str,
    period: str,
    count: int,
    numbers: list[str],
    until: datetime | None = None,
) -> Iterator[Call]:
    year, month = int(period[:4]), int(period[5:7])
    for index in range(count):
        zone = rng.choices(("local", "long_distance", "international"), weights=(8, 3, 1))[0]
        yield Call(
            call_id=f"{contract}-{period}-in-{index:05d}",
            started_at=_moment(rng, year, month, until),
            direction="in",
            number=rng.choice(numbers),
            peer="" if rng.random() < WITHHELD_SHARE else _peer(rng, zone),
            zone="incoming",
            duration_s=rng.randint(0, 9 * 60),
            amount=Decimal("0.00"),
        )


def enqueue(conn: sqlite3.Connection, contract: str, call: Call) -> None:
    outbox.enqueue(
        conn,
        "call.detail",
        {
            "contract": contract,
            "call_id": call.call_id,
            "started_at": format_utc(call.started_at),
            "direction": call.direction,
            "number": call.number,
            "peer": call.peer,
            "zone": call.zone,
            "duration_s": call.duration_s,
            "amount": format_money(call.amount),
        },
    )

"""``call.detail`` (specs/billing-exchange.md, December 2026): one rated call of a client.

Validation is per line in the exchange's first pass (fields below). A duplicate ``call_id`` —
twice in the package, or already stored — is found while writing, one batch at a time with
one indexed query, so memory does not grow with the package: the whole package is then
rolled back and rejected with the line (registry.RecordRejected).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from kabinet.exchange import records as f
from kabinet.exchange.records import MAX_ID, Record
from kabinet.exchange.registry import ApplyContext, RecordRejected, register_inbound
from kabinet.lib.bulk import bulk_existing, bulk_write

from . import partitions
from .days import days_merge, days_stage
from .models import Call, CallDirection, CallZone

TYPE = "call.detail"
# E.164: the country code and the number, at most 15 digits, never starting with 0.
NUMBER_RE = re.compile(r"[1-9]\d{6,14}")
# The other party may be a short service number (112, 0911) or a long foreign one.
PEER_RE = re.compile(r"\d{1,20}")


def _number(value: Any) -> str:
    if not isinstance(value, str) or not NUMBER_RE.fullmatch(value):
        raise f.RecordError("must be digits with the country code, like 78124001001")
    return value


def _peer(value: Any) -> str:
    if not isinstance(value, str) or not (value == "" or PEER_RE.fullmatch(value)):
        raise f.RecordError('must be digits, or "" when withheld')
    return value


def _amount(value: Any) -> Decimal:
    amount = f.money(value)
    if amount < 0:
        raise f.RecordError("must not be negative")
    return amount


def _duration(value: Any) -> int:
    if type(value) is not int or value < 0:
        raise f.RecordError("must be a non-negative integer")
    if value > 7 * 86400:
        raise f.RecordError("is longer than a week")
    return value


FIELDS = {
    "contract": f.text(20),
    "call_id": f.text(MAX_ID),
    "started_at": f.time,
    "direction": f.choice(tuple(c.value for c in CallDirection)),
    "number": _number,
    "peer": _peer,
    "zone": f.choice(tuple(c.value for c in CallZone)),
    "duration_s": _duration,
    "amount": _amount,
}
_COLUMNS = [
    "client_id",
    "call_id",
    "started_at",
    "direction",
    "number",
    "peer",
    "zone",
    "duration_s",
    "amount",
]


def _apply(ctx: ApplyContext, run: list[tuple[int, Record]]) -> None:
    lines: dict[str, int] = {}
    for number, record in run:
        call_id = record.data["call_id"]
        if call_id in lines:
            raise RecordRejected(
                number, f"call_id {call_id!r} appears twice in this package (line {lines[call_id]})"
            )
        lines[call_id] = number
    stored = bulk_existing(Call, "call_id", list(lines))
    first = min((lines[c] for c in stored), default=None)
    if first is not None:
        call_id = next(c for c, n in lines.items() if n == first)
        raise RecordRejected(
            first, f"call_id {call_id!r} is already stored (earlier in this package or before)"
        )
    months: set[partitions.Month] = ctx.state.setdefault(TYPE, set())
    new = {partitions.month_of(r.data["started_at"]) for _n, r in run} - months
    if new:
        partitions.ensure_partitions(new)
        months |= new
    rows = [
        (
            ctx.client_id(r),
            r.data["call_id"],
            r.data["started_at"],
            r.data["direction"],
            r.data["number"],
            r.data["peer"],
            r.data["zone"],
            r.data["duration_s"],
            r.data["amount"],
        )
        for _n, r in run
    ]
    bulk_write(Call, _COLUMNS, rows)
    days_stage(
        (client_id, started_at, number, direction, zone, duration_s, amount)
        for client_id, _id, started_at, direction, number, _peer, zone, duration_s, amount in rows
    )


def _finish(ctx: ApplyContext) -> None:
    days_merge()


def register() -> None:
    register_inbound(TYPE, fields=FIELDS, apply=_apply, finish=_finish)

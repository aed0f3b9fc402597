"""``call.detail`` (specs/billing-exchange.md, December 2026): one rated call of a client.

Validation is per line in the exchange's pass (fields below). A package of calls is then
written as sets, not record by record: each batch is copied into a table of the import's
transaction (the stage), and at the end of the package a few statements claim the record
ids, find a ``call_id`` twice in the package or already stored, store the calls and add
them to their days — each in key order, so a million calls walk each index once instead of
jumping about it a million times. A duplicate rolls the whole package back and rejects it
with the line (registry.RecordRejected). Memory does not grow with the package: the stage
is the database's.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.db import connection

from kabinet.exchange import records as f
from kabinet.exchange.models import ImportedRecord
from kabinet.exchange.records import MAX_ID, Record
from kabinet.exchange.registry import ApplyContext, RecordRejected, register_inbound

from . import partitions
from .days import days_from
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


STAGE = "calls_import_stage"
_STAGE_COLUMNS = ["record_id", "line", *_COLUMNS]
_STAGE_TYPES = (
    "record_id uuid, line integer, client_id bigint, call_id varchar(100), "
    "started_at timestamp with time zone, direction varchar(3), number varchar(15), "
    "peer varchar(20), zone varchar(16), duration_s integer, amount numeric(14, 2)"
)
# SQLite: text as Django stores it there (uuids as 32 hex digits, times as UTC text).
_STAGE_TYPES_SQLITE = (
    "record_id text, line integer, client_id integer, call_id text, started_at text, "
    "direction text, number text, peer text, zone text, duration_s integer, amount text"
)
CALLS = Call._meta.db_table
RECORDS = ImportedRecord._meta.db_table


def _apply(ctx: ApplyContext, run: list[tuple[int, Record]]) -> None:
    """Stage a batch's calls (their record ids are claimed at the end, by ``_finish``)."""
    months: set[partitions.Month] = ctx.state.setdefault(TYPE, set())
    first = STAGE not in ctx.state
    ctx.state[STAGE] = True
    new = {partitions.month_of(r.data["started_at"]) for _n, r in run} - months
    if new:
        partitions.ensure_partitions(new)
        months |= new
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if first:
                cursor.execute(f"CREATE TEMPORARY TABLE {STAGE} ({_STAGE_TYPES}) ON COMMIT DROP")
            columns = ", ".join(_STAGE_COLUMNS)
            with cursor.cursor.copy(f"COPY {STAGE} ({columns}) FROM STDIN") as copy:
                for number, record in run:
                    data = record.data
                    copy.write_row(
                        (
                            record.id,
                            number,
                            ctx.client_id(record),
                            data["call_id"],
                            data["started_at"],
                            data["direction"],
                            data["number"],
                            data["peer"],
                            data["zone"],
                            data["duration_s"],
                            data["amount"],
                        )
                    )
            return
        if first:
            cursor.execute(f"CREATE TEMPORARY TABLE {STAGE} ({_STAGE_TYPES_SQLITE})")
        ops = connection.ops
        cursor.executemany(
            f"INSERT INTO {STAGE} ({', '.join(_STAGE_COLUMNS)}) "  # noqa: S608
            f"VALUES ({', '.join(['%s'] * len(_STAGE_COLUMNS))})",
            [
                (
                    record.id.hex,
                    number,
                    ctx.client_id(record),
                    record.data["call_id"],
                    ops.adapt_datetimefield_value(record.data["started_at"]),
                    record.data["direction"],
                    record.data["number"],
                    record.data["peer"],
                    record.data["zone"],
                    record.data["duration_s"],
                    str(record.data["amount"]),
                )
                for number, record in run
            ],
        )


def _claim(cursor: Any, package_id: int) -> int:
    """Claim the staged calls' record ids; the calls seen before (in an earlier package, or
    earlier in this one) leave the stage. How many left."""
    if connection.vendor == "postgresql":
        # One pass along the ids' index, in its order: the claim and the check are one.
        cursor.execute(
            f"WITH claimed AS (INSERT INTO {RECORDS} (record_id, package_id) "  # noqa: S608
            f"SELECT DISTINCT record_id, %s FROM {STAGE} ORDER BY record_id "
            "ON CONFLICT (record_id) DO NOTHING RETURNING record_id) "
            f"DELETE FROM {STAGE} s WHERE NOT EXISTS "
            "(SELECT 1 FROM claimed c WHERE c.record_id = s.record_id)",
            [package_id],
        )
        seen = cursor.rowcount
    else:
        cursor.execute(
            f"DELETE FROM {STAGE} WHERE record_id IN (SELECT record_id FROM {RECORDS})"  # noqa: S608
        )
        seen = cursor.rowcount
        cursor.execute(
            f"INSERT INTO {RECORDS} (record_id, package_id) "  # noqa: S608
            f"SELECT DISTINCT record_id, %s FROM {STAGE}",
            [package_id],
        )
    # The same record id twice in the package: the first line applies.
    cursor.execute(
        f"DELETE FROM {STAGE} WHERE line NOT IN "  # noqa: S608
        f"(SELECT MIN(line) FROM {STAGE} GROUP BY record_id)"
    )
    return seen + cursor.rowcount


def _duplicate(cursor: Any) -> RecordRejected | None:
    """The first line whose ``call_id`` is on an earlier line, or already stored."""
    cursor.execute(
        f"SELECT call_id FROM {STAGE} GROUP BY call_id HAVING COUNT(*) > 1 LIMIT 1"  # noqa: S608
    )
    if cursor.fetchone() is not None:
        cursor.execute(
            "SELECT line, call_id, first FROM (SELECT line, call_id, "  # noqa: S608
            f"MIN(line) OVER (PARTITION BY call_id) AS first FROM {STAGE}) twice "
            "WHERE line > first ORDER BY line LIMIT 1"
        )
        line, call_id, first = cursor.fetchone()
        return RecordRejected(
            line, f"call_id {call_id!r} appears twice in this package (line {first})"
        )
    if connection.vendor == "postgresql":
        # One index probe a call and partition, in the ids' order: PostgreSQL would rather
        # hash every stored call, which costs what the table holds, not what the package does.
        cursor.execute(
            f"SELECT s.line, s.call_id FROM (SELECT line, call_id FROM {STAGE} "  # noqa: S608
            "ORDER BY call_id) s CROSS JOIN LATERAL "
            f"(SELECT 1 FROM {CALLS} c WHERE c.call_id = s.call_id LIMIT 1) stored "
            "ORDER BY s.line LIMIT 1"
        )
    else:
        cursor.execute(
            f"SELECT s.line, s.call_id FROM {STAGE} s WHERE EXISTS "  # noqa: S608
            f"(SELECT 1 FROM {CALLS} c WHERE c.call_id = s.call_id) ORDER BY s.line LIMIT 1"
        )
    row = cursor.fetchone()
    if row is not None:
        return RecordRejected(
            row[0], f"call_id {row[1]!r} is already stored (from an earlier package)"
        )
    return None


def _finish(ctx: ApplyContext) -> int:
    """Store the staged calls and add them to their days; the calls seen before."""
    with connection.cursor() as cursor:
        seen = _claim(cursor, ctx.package.pk)
        duplicate = _duplicate(cursor)
        if duplicate is not None:
            raise duplicate
        columns = ", ".join(_COLUMNS)
        # In the order of the client's indexes: each of their pages is written once.
        cursor.execute(
            f"INSERT INTO {CALLS} ({columns}) SELECT {columns} FROM {STAGE} "  # noqa: S608
            "ORDER BY client_id, started_at"
        )
        days_from(STAGE)
        cursor.execute(f"DROP TABLE {STAGE}")
    return seen


def register() -> None:
    register_inbound(TYPE, fields=FIELDS, apply=_apply, finish=_finish, staged=True)

"""``call.detail`` (specs/billing-exchange.md, December 2026): one rated call of a client.

Validation is per line in the exchange's pass (fields below). A package of calls is then
written as sets, not record by record, a chunk at a time (``_Stager``): the chunk's checked
calls are copied into a table of the import's transaction (the stage), and a few statements
claim their record ids, find a ``call_id`` twice or already stored, and store the calls in
the client's index order. On PostgreSQL those statements run in a thread on the import's own
connection while the next chunk is read and checked, so the database and Python each keep a
core busy. The day cells of all the package's calls are added once, at the end, in the cells'
key order. A duplicate rolls the whole package back and rejects it with the line
(registry.RecordRejected). Memory does not grow with the package: a chunk's text at most.
"""

from __future__ import annotations

import re
import threading
from decimal import Decimal
from typing import Any

from django.db import DatabaseError, connection, transaction

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
# The calls of the chunks already written: their days are added once, at the end, in the
# cells' key order (per chunk, each chunk would walk the cells' index again), and a
# duplicate of one of them is reported with its line.
DONE = "calls_import_done"
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
# Calls per chunk: a chunk is written (claimed, checked, stored) while the next one is read
# and checked, PostgreSQL on one core and this process on the other.
# Bigger chunks walk the indexes in longer ordered runs; smaller ones start writing sooner
# and hold less text in memory (about 150 bytes a call).
CHUNK = 200_000

# The import's own memory in PostgreSQL, for its transaction only: the statements that
# claim, check and store a chunk sort and group all of it, and with the server's defaults
# (8 MiB of buffers for temporary tables, 4 MiB a sort) the stage is written out to disk
# and read back by every statement.
WORK_MEM = "256MB"
TEMP_BUFFERS = "256MB"


def _roomy(cursor: Any) -> None:
    """Give this transaction room to sort, and the stage room to stay in memory."""
    cursor.execute("SELECT set_config('work_mem', %s, true)", [WORK_MEM])
    # Allowed only before the connection's first temporary table (a worker's connection may
    # have imported before): then the stage gets what the connection already has.
    try:
        with transaction.atomic():
            cursor.execute("SELECT set_config('temp_buffers', %s, true)", [TEMP_BUFFERS])
    except DatabaseError:
        pass


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: str) -> str:
    """A text value as COPY's text format writes it: a backslash, tab, newline or carriage
    return escaped (a call id is any string; the other text fields are checked digits and
    choices)."""
    if value.isprintable() and "\\" not in value:
        return value
    return value.translate(_COPY_ESCAPES)


class _Stager:
    """The calls of one import, written a chunk at a time.

    Checked calls are kept as COPY lines until a chunk is full; the chunk is then copied into
    the stage and written by the chunk's statements (``_write_chunk``). On PostgreSQL those
    run in a thread on the import's own connection — the same transaction — while this
    thread reads and checks the next chunk: the database and Python each keep a core busy.
    The next chunk waits for the last one to be written before it is copied, a failure of
    the thread is raised here (a duplicate as the rejection of its line), and ``close`` waits
    for the thread before the import's transaction ends, whatever happened.
    """

    def __init__(self, package_id: int) -> None:
        self.package_id = package_id
        self.postgres = connection.vendor == "postgresql"
        self.lines: list[str] = []  # the chunk's COPY text, a batch a string (PostgreSQL)
        self.pending = 0  # calls in the chunk so far
        self.rows: list[tuple[Any, ...]] = []
        self.months: set[partitions.Month] = set()
        self.created = False
        self.seen = 0
        self.thread: threading.Thread | None = None
        self.failure: BaseException | None = None

    def add(self, ctx: ApplyContext, run: list[tuple[int, Record]]) -> None:
        new = {partitions.month_of(r.data["started_at"]) for _n, r in run} - self.months
        if new:
            self.months |= new
            self._wait()  # creating a partition needs the connection
            partitions.ensure_partitions(new)
        if self.postgres:
            # One string a batch: the chunk's text is a few hundred objects, not a line each.
            self.lines.append(
                "".join(
                    f"{record.id}\t{number}\t{ctx.client_id(record)}\t"
                    f"{_copy_text(record.data['call_id'])}\t"
                    f"{record.data['started_at'].isoformat()}\t{record.data['direction']}\t"
                    f"{record.data['number']}\t{record.data['peer']}\t{record.data['zone']}\t"
                    f"{record.data['duration_s']}\t{record.data['amount']}\n"
                    for number, record in run
                )
            )
            self.pending += len(run)
        else:
            ops = connection.ops
            self.pending += len(run)
            self.rows.extend(
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
            )
        if self.pending >= CHUNK:
            self.flush()

    def flush(self) -> None:
        """Copy the chunk read so far into the stage and start writing it."""
        self._wait()
        if not self.pending:
            return
        self.pending = 0
        with connection.cursor() as cursor:
            if not self.created:
                self._create(cursor)
            columns = ", ".join(_STAGE_COLUMNS)
            if self.postgres:
                with cursor.cursor.copy(f"COPY {STAGE} ({columns}) FROM STDIN") as copy:
                    for text in self.lines:
                        copy.write(text)
                self.lines = []
            else:
                cursor.executemany(
                    f"INSERT INTO {STAGE} ({columns}) "  # noqa: S608
                    f"VALUES ({', '.join(['%s'] * len(_STAGE_COLUMNS))})",
                    self.rows,
                )
                self.rows = []
        if not self.postgres:
            with connection.cursor() as cursor:
                self.seen += _write_chunk(cursor, self.package_id, postgres=False)
            return
        raw = connection.connection  # the import's connection: its transaction, its stage

        def write() -> None:
            try:
                with raw.cursor() as cursor:
                    self.seen += _write_chunk(cursor, self.package_id, postgres=True)
            except BaseException as exc:  # raised in the import's thread by _wait
                self.failure = exc

        self.thread = threading.Thread(target=write, name="calls-import-chunk", daemon=True)
        self.thread.start()

    def _create(self, cursor: Any) -> None:
        self.created = True
        if self.postgres:
            _roomy(cursor)
            cursor.execute(f"CREATE TEMPORARY TABLE {STAGE} ({_STAGE_TYPES}) ON COMMIT DROP")
            cursor.execute(f"CREATE TEMPORARY TABLE {DONE} ({_STAGE_TYPES}) ON COMMIT DROP")
        else:
            cursor.execute(f"CREATE TEMPORARY TABLE {STAGE} ({_STAGE_TYPES_SQLITE})")
            cursor.execute(f"CREATE TEMPORARY TABLE {DONE} ({_STAGE_TYPES_SQLITE})")

    def _join(self) -> None:
        if self.thread is not None:
            self.thread.join()
            self.thread = None

    def _wait(self) -> None:
        """Wait for the chunk being written; raise what went wrong with it."""
        self._join()
        failure, self.failure = self.failure, None
        if failure is None:
            return
        if isinstance(failure, RecordRejected):
            raise failure
        with connection.wrap_database_errors:  # psycopg's errors as Django's
            raise failure

    def finish(self) -> int:
        """Write the last chunk and add every call to its day; the calls seen before, over
        the package."""
        self.flush()
        self._wait()
        if self.created:
            if self.postgres:
                # The planner knows nothing of a temporary table until it is analysed.
                with connection.cursor() as cursor:
                    cursor.execute(f"ANALYZE {DONE}")
            days_from(DONE)
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE {STAGE}")
                cursor.execute(f"DROP TABLE {DONE}")
        return self.seen

    def close(self) -> None:
        """The import is over, applied or not: no statement of it may run after this."""
        self._join()
        self.failure = None


def _apply(ctx: ApplyContext, run: list[tuple[int, Record]]) -> None:
    """Stage a batch's calls (their record ids are claimed as each chunk is written)."""
    stager = ctx.state.get(TYPE)
    if stager is None:
        stager = ctx.state[TYPE] = _Stager(ctx.package.pk)
    stager.add(ctx, run)


def _claim(cursor: Any, package_id: int, *, postgres: bool) -> int:
    """Claim the staged calls' record ids; the calls seen before (in an earlier package, or
    earlier in this one) leave the stage. How many left."""
    if postgres:
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
    # The same record id twice in the chunk: the first line applies (in different chunks,
    # the later one's claim above found it).
    cursor.execute(
        f"DELETE FROM {STAGE} WHERE line NOT IN "  # noqa: S608
        f"(SELECT MIN(line) FROM {STAGE} GROUP BY record_id)"
    )
    return seen + cursor.rowcount


def _duplicate(cursor: Any, *, postgres: bool) -> RecordRejected | None:
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
    if postgres:
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
    if row is None:
        return None
    line, call_id = row
    # Stored by an earlier chunk of this package, or by an earlier package.
    cursor.execute(f"SELECT MIN(line) FROM {DONE} WHERE call_id = %s", [call_id])  # noqa: S608
    (first,) = cursor.fetchone()
    if first is not None:
        return RecordRejected(
            line, f"call_id {call_id!r} appears twice in this package (line {first})"
        )
    return RecordRejected(line, f"call_id {call_id!r} is already stored (from an earlier package)")


def _write_chunk(cursor: Any, package_id: int, *, postgres: bool) -> int:
    """Claim, check and store the staged chunk, and keep it for its days; the calls seen
    before. Plain SQL on ``cursor`` (it may be the import's connection used from a thread)."""
    seen = _claim(cursor, package_id, postgres=postgres)
    duplicate = _duplicate(cursor, postgres=postgres)
    if duplicate is not None:
        raise duplicate
    columns = ", ".join(_COLUMNS)
    # In the order of the client's indexes: each of their pages is written once.
    cursor.execute(
        f"INSERT INTO {CALLS} ({columns}) SELECT {columns} FROM {STAGE} "  # noqa: S608
        "ORDER BY client_id, started_at"
    )
    cursor.execute(f"INSERT INTO {DONE} SELECT * FROM {STAGE}")  # noqa: S608
    cursor.execute(f"TRUNCATE {STAGE}" if postgres else f"DELETE FROM {STAGE}")  # noqa: S608
    return seen


def _finish(ctx: ApplyContext) -> int:
    """Write the last chunk; the calls seen before."""
    stager: _Stager = ctx.state[TYPE]
    return stager.finish()


def _close(ctx: ApplyContext) -> None:
    stager: _Stager | None = ctx.state.get(TYPE)
    if stager is not None:
        stager.close()


def register() -> None:
    register_inbound(TYPE, fields=FIELDS, apply=_apply, finish=_finish, close=_close, staged=True)

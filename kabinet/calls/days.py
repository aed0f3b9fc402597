"""The per-day totals of the calls (CallDay), kept as calls are stored.

A client's calls page shows the totals and the bars by day of its filter; a big client has
tens of thousands of calls a month, so summing them on every request is what made the page
slow. Each stored call is added to the cell of its day (the operator's calendar), own number,
direction, zone and duration step; the page sums the month's cells instead (a few hundred
rows at most). Calls are never changed once stored (billing sends a call once, and a
duplicate rejects its package), so adding is all the upkeep there is; ``days_rebuild``
recomputes the cells from the calls for writers that bypass ``calls_store`` (the generated
dataset's COPY) and for an operator who wants to check them.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction

from .models import DURATION_STEPS, Call, CallDay

TABLE = CallDay._meta.db_table
CALLS = Call._meta.db_table
COLUMNS = (
    "client_id",
    "day",
    "number",
    "direction",
    "zone",
    "min_duration_s",
    "calls",
    "seconds",
    "minutes",
    "amount",
)
KEY = COLUMNS[:6]

Cell = tuple[int, dt.date, str, str, str, int]


def step_of(seconds: int) -> int:
    """The duration step a call of ``seconds`` falls in."""
    return DURATION_STEPS[bisect.bisect_right(DURATION_STEPS, seconds) - 1]


def _upsert_sql(rows: int) -> str:
    values = ", ".join(["(" + ", ".join(["%s"] * len(COLUMNS)) + ")"] * rows)
    return (
        # Table and column names are this module's constants; the values are parameters.
        f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES {values} "  # noqa: S608
        f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET {_ADDED}"
    )


_ADDED = ", ".join(f"{c} = {TABLE}.{c} + EXCLUDED.{c}" for c in COLUMNS[6:])
_UNNEST_SQL = (
    # Table and column names are this module's constants; the values are parameters.
    f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) "  # noqa: S608
    "SELECT * FROM unnest(%s::bigint[], %s::date[], %s::varchar[], %s::varchar[], "
    "%s::varchar[], %s::integer[], %s::integer[], %s::bigint[], %s::bigint[], %s::numeric[]) "
    f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET {_ADDED}"
)


CallTuple = tuple[int, dt.datetime, str, str, str, int, Decimal]


def _cell_rows(calls: Iterable[CallTuple]) -> list[tuple]:
    """The calls summed by cell: (key…, calls, seconds, minutes, amount) rows, in key order
    (an upsert then walks the cells' index forward instead of jumping about it)."""
    zone = ZoneInfo(settings.TIME_ZONE)
    cells: dict[Cell, list] = {}
    for client_id, started_at, number, direction, call_zone, seconds, amount in calls:
        key = (
            client_id,
            started_at.astimezone(zone).date(),
            number,
            direction,
            call_zone,
            step_of(seconds),
        )
        cell = cells.get(key)
        if cell is None:
            cells[key] = [1, seconds, (seconds + 59) // 60, Decimal(amount)]
        else:
            cell[0] += 1
            cell[1] += seconds
            cell[2] += (seconds + 59) // 60
            cell[3] += Decimal(amount)
    return [(*key, *cells[key]) for key in sorted(cells)]


def days_add(calls: Iterable[CallTuple]) -> int:
    """Add newly stored calls — (client id, started at, own number, direction, zone,
    duration in seconds, amount) — to their days' cells, in the caller's transaction; the
    number of cells written."""
    rows = _cell_rows(calls)
    if not rows:
        return 0
    if connection.vendor == "postgresql":
        # One array a column, whatever the number of cells: ten parameters, not ten a cell
        # (a statement with ten thousand placeholders costs more to build than to run).
        with connection.cursor() as cursor:
            cursor.execute(_UNNEST_SQL, [list(column) for column in zip(*rows, strict=True)])
        return len(rows)
    # A batch of calls in one statement: SQLite takes at most 999 parameters on some builds.
    chunk = max(1, min(5000, (connection.features.max_query_params or 65535) // len(COLUMNS)))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            cursor.execute(_upsert_sql(len(part)), [value for row in part for value in row])
    return len(rows)


def days_from(table: str) -> int:
    """Add the calls of ``table`` — the calls table's columns, freshly stored calls (the
    import's stage) — to their days' cells, in one statement and in the cells' key order
    (one pass along their index, not a jump per cell); the cells written."""
    select, params = cells_select("1 = 1", table=table)
    key = ", ".join(KEY)
    with connection.cursor() as cursor:
        cursor.execute(
            # Only this module's table and column names, and the caller's table name.
            f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) {select} ORDER BY 1, 2, 3, 4, 5, 6 "
            f"ON CONFLICT ({key}) DO UPDATE SET {_ADDED}",
            params,
        )
        return cursor.rowcount


def calls_store(calls: Sequence[Call], *, batch_size: int = 1000) -> None:
    """Store new calls and add them to their days (one transaction)."""
    with transaction.atomic():
        Call.objects.bulk_create(calls, batch_size=batch_size)
        days_add(
            (c.client_id, c.started_at, c.number, c.direction, c.zone, c.duration_s, c.amount)
            for c in calls
        )


def cells_select(
    where: str = "", params: Sequence[Any] = (), *, table: str = CALLS
) -> tuple[str, list[Any]]:
    """The SELECT that sums calls (of ``table``, the stored calls unless told; ``where``: an
    SQL condition on them) into cells, in ``COLUMNS`` order, and its parameters: the one
    definition of a call's cell in SQL."""
    day_sql, day_params = connection.ops.datetime_cast_date_sql(
        "started_at", (), settings.TIME_ZONE
    )
    step_sql = (
        "CASE "
        + " ".join(f"WHEN duration_s >= {s} THEN {s}" for s in reversed(DURATION_STEPS[1:]))
        + " ELSE 0 END"
    )
    return (
        f"SELECT client_id, {day_sql} AS cell_day, number, direction, zone, "  # noqa: S608
        f"{step_sql} AS cell_step, COUNT(*), SUM(duration_s), "
        f"SUM((duration_s + 59) / 60), SUM(amount) "
        f"FROM {table} {'WHERE ' + where if where else ''} "
        f"GROUP BY client_id, cell_day, number, direction, zone, cell_step",
        [*day_params, *params],
    )


def days_rebuild(client_ids: Sequence[int] | None = None) -> int:
    """Recompute the cells from the stored calls (every client's, or these clients'); the
    number of cells. One INSERT … SELECT: the calls never pass through Python."""
    where = ""
    if client_ids is not None:
        if not client_ids:
            return 0
        where = f"client_id IN ({', '.join(['%s'] * len(client_ids))})"
    select, params = cells_select(where, list(client_ids or ()))
    with transaction.atomic(), connection.cursor() as cursor:
        if client_ids is None:
            cursor.execute(f"DELETE FROM {TABLE}")  # noqa: S608
        else:
            CallDay.objects.filter(client_id__in=client_ids).delete()
        cursor.execute(f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) {select}", params)
        return cursor.rowcount


def days_forget(before: dt.date) -> int:
    """Drop the cells of days before ``before`` (the calls' retention)."""
    deleted, _ = CallDay.objects.filter(day__lt=before).delete()
    return deleted

"""Monthly partitions of the calls table (PostgreSQL) and the retention of old calls.

A partition holds one calendar month of the operator's time zone (settings.TIME_ZONE), so
a page for a month reads exactly one partition. SQLite has no partitions: there retention
deletes the old rows instead.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.utils import timezone

from .days import days_forget
from .models import Call

TABLE = Call._meta.db_table
NAME_RE = re.compile(rf"^{TABLE}_p(\d{{4}})_(\d\d)$")

Month = tuple[int, int]


def is_partitioned() -> bool:
    return connection.vendor == "postgresql"


def month_start(month: Month) -> dt.datetime:
    """The first moment of ``month`` in the operator's time zone."""
    return dt.datetime(month[0], month[1], 1, tzinfo=ZoneInfo(settings.TIME_ZONE))


def add_months(month: Month, count: int) -> Month:
    index = month[0] * 12 + month[1] - 1 + count
    return index // 12, index % 12 + 1


def month_of(moment: dt.datetime) -> Month:
    local = moment.astimezone(ZoneInfo(settings.TIME_ZONE))
    return local.year, local.month


def current_month() -> Month:
    return month_of(timezone.now())


def partition_name(month: Month) -> str:
    return f"{TABLE}_p{month[0]:04d}_{month[1]:02d}"


def existing_partitions() -> dict[Month, str]:
    if not is_partitioned():
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s",
            [TABLE],
        )
        names = [row[0] for row in cursor.fetchall()]
    found = {}
    for name in names:
        match = NAME_RE.match(name)
        if match:
            found[int(match.group(1)), int(match.group(2))] = name
    return found


def ensure_partitions(months: Iterable[Month]) -> list[str]:
    """Create the partitions of ``months`` that do not exist yet; the names created.

    Creating a partition locks the whole table until the transaction ends: the periodic job
    makes them ahead, so an import creates one only for a month far in the past.
    """
    if not is_partitioned():
        return []
    wanted = sorted(set(months))
    if not wanted:
        return []
    have = existing_partitions()
    made = []
    with connection.cursor() as cursor:
        for month in wanted:
            if month in have:
                continue
            name = partition_name(month)
            start, end = month_start(month), month_start(add_months(month, 1))
            # Bounds are literals (computed here, never user input); CREATE ... PARTITION OF
            # cannot take bind parameters.
            cursor.execute(
                f'CREATE TABLE IF NOT EXISTS "{name}" PARTITION OF "{TABLE}" '
                f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
            )
            made.append(name)
    return made


def partitions_ahead(*, behind: int = 3, ahead: int = 3) -> list[str]:
    """The partitions from ``behind`` months ago to ``ahead`` months on (the periodic job)."""
    now = current_month()
    return ensure_partitions(add_months(now, k) for k in range(-behind, ahead + 1))


def retention_cutoff(months: int | None = None) -> dt.datetime:
    """Calls that started before this moment are past retention."""
    keep = settings.KABINET_CALLS_RETENTION_MONTHS if months is None else months
    return month_start(add_months(current_month(), -keep))


def calls_retention(*, months: int | None = None) -> dict[str, int]:
    """Drop the partitions (PostgreSQL) or delete the rows (SQLite) past retention."""
    cutoff = retention_cutoff(months)
    days_forget(cutoff.date())
    if not is_partitioned():
        deleted, _ = Call.objects.filter(started_at__lt=cutoff).delete()
        return {"partitions_dropped": 0, "calls_deleted": deleted}
    limit = month_of(cutoff)
    dropped = 0
    with connection.cursor() as cursor:
        # Deferred foreign-key checks of rows written earlier in this transaction would
        # block the DROP: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for month, name in sorted(existing_partitions().items()):
            if month < limit:
                cursor.execute(f'DROP TABLE "{name}"')
                dropped += 1
    return {"partitions_dropped": dropped, "calls_deleted": 0}

"""The calls page and the export read a fixed number of queries whatever the data size, and
a month's page reads one partition (PostgreSQL) or walks the client's index (SQLite)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kabinet.calls import partitions
from kabinet.calls.days import calls_store
from kabinet.calls.models import Call
from kabinet.calls.selectors import CallFilter, Cursor, Period, calls_filtered

pytestmark = pytest.mark.django_db

PATHS = [
    "/cabinet/calls/?month=2026-11",
    "/cabinet/calls/?month=2026-11&direction=out&min_duration=10&peer=7",
    "/cabinet/calls/export.csv?month=2026-11",
    "/cabinet/calls/export.xlsx?month=2026-11",
]


def _grow(company, start: int, count: int) -> None:
    partitions.ensure_partitions([(2026, 11)])
    calls_store(
        [
            Call(
                client=company,
                call_id=f"Q{start + i}",
                started_at=dt.datetime(2026, 11, 1 + i % 28, 6 + i % 12, i % 60, tzinfo=dt.UTC),
                direction="out" if i % 3 else "in",
                number="78124001001",
                peer=f"7812{i:07d}",
                zone="local" if i % 3 else "incoming",
                duration_s=i % 400,
                amount="1.50",
            )
            for i in range(count)
        ]
    )


def _counts(http) -> dict[str, int]:
    counts = {}
    for path in PATHS:
        with CaptureQueriesContext(connection) as queries:
            response = http.get(path)
            assert response.status_code == 200, path
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
        counts[path] = len(queries)
    return counts


def test_the_page_and_the_exports_run_the_same_queries_at_any_size(as_client, as_manager, company):
    _grow(company, 0, 3)
    as_client.get(PATHS[0])  # warms what loads once per process
    small = _counts(as_client)
    _grow(company, 100, 2500)  # more than a page and more than an export chunk
    large = _counts(as_client)
    assert small == large
    manager_path = f"/manager/clients/{company.pk}/calls/?month=2026-11"
    with CaptureQueriesContext(connection) as first:
        as_manager.get(manager_path)
    _grow(company, 5000, 100)
    with CaptureQueriesContext(connection) as second:
        as_manager.get(manager_path)
    assert len(first) == len(second)


def _relations(node: dict) -> set[str]:
    found = {node["Relation Name"]} if "Relation Name" in node else set()
    for child in node.get("Plans", []):
        found |= _relations(child)
    return found


def test_a_months_page_reads_only_that_months_partition_or_the_clients_index(company):
    months = [(2026, 10), (2026, 11), (2026, 12)]
    partitions.ensure_partitions(months)
    flt = CallFilter(period=Period.of_month((2026, 11)), direction="out", peer="7812")
    qs = calls_filtered(company, flt)
    after = Cursor(dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC), 10)
    page = qs.filter(started_at__lt=after.started_at)[:51]
    if connection.vendor == "postgresql":
        for query in (qs[:51], page, qs.order_by()):
            plan = json.loads(query.explain(format="json"))
            assert _relations(plan[0]["Plan"]) == {"calls_call_p2026_11"}, plan
    else:
        for query in (qs[:51], page):
            plan = query.explain()
            assert "calls_client_time_idx" in plan or "calls_client_number_idx" in plan, plan

"""How an import writes its rows (COPY on PostgreSQL, bulk_create on SQLite): values stored
exactly whatever they contain, record ids deduplicated within and across batches, the types
that may go in any order grouped per batch with the newest version winning, a rejection
after rows were written leaving nothing, and a fixed number of statements per batch."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kabinet.calls import partitions
from kabinet.calls.models import Call
from kabinet.exchange import services
from kabinet.exchange.models import BalanceSnapshot, BillingDocument, Charge, UsageSummary

from .helpers import EMPTY_STATE, billing_state, import_bytes

pytestmark = pytest.mark.django_db

AWKWARD = [
    "tab\there",
    "line\nbreak and\r\ncarriage return",
    "back\\slash \\N \\. \\\\",
    "quotes ' \" `",
    "Ежемесячная плата — ₽ 🙂",
    "",
    "comma, semicolon; pipe |",
]


def charge(peer, charge_id: str, description: str, amount: str = "490.00"):  # type: ignore[no-untyped-def]
    record = peer.charge("100001", charge_id, amount)
    record["data"]["description"] = description
    return record


def call(peer, call_id: str, started_at: str = "2026-11-05T07:15:00Z"):  # type: ignore[no-untyped-def]
    return peer.record(
        "call.detail",
        contract="100001",
        call_id=call_id,
        started_at=started_at,
        direction="out",
        number="78124001001",
        peer="",
        zone="local",
        duration_s=61,
        amount="1.50",
    )


def test_values_that_need_escaping_are_stored_exactly(peer, company):
    pdf = b"%PDF-1.4\n\\x00\x00\t\r\n\\\\ end\xff"
    records = [charge(peer, f"C-{i}", text) for i, text in enumerate(AWKWARD)]
    records.append(peer.document("100001", "D\t\\1", pdf=pdf))
    records.append(call(peer, "call\\id\t'\"1"))

    result = import_bytes(peer.package(records))

    assert result.ok, result.report
    assert dict(Charge.objects.values_list("charge_id", "description")) == {
        f"C-{i}": text for i, text in enumerate(AWKWARD)
    }
    document = BillingDocument.objects.get()
    assert (document.document_id, bytes(document.pdf), document.has_pdf) == ("D\t\\1", pdf, True)
    assert list(Call.objects.values_list("call_id", "peer")) == [("call\\id\t'\"1", "")]


def test_a_corrected_version_updates_the_stored_row_with_awkward_values(peer, company):
    assert import_bytes(peer.package([charge(peer, "C-1", "first")])).ok

    result = import_bytes(peer.package([charge(peer, "C-1", AWKWARD[2], "12.50")]))

    assert result.ok, result.report
    assert list(Charge.objects.values_list("charge_id", "description", "amount")) == [
        ("C-1", AWKWARD[2], Decimal("12.50"))
    ]
    assert Charge.objects.get().package == result.package


def test_interleaved_types_apply_as_in_the_package_order(peer, company, monkeypatch):
    monkeypatch.setattr(services, "BATCH", 4)
    records = [
        peer.usage("100001", "2026-10", "local", 1, 1, "1.00"),
        peer.snapshot("100001", "-1.00", "2026-11-01T00:00:00Z"),
        peer.charge("100001", "C-1", "1.00"),
        peer.usage("100001", "2026-10", "local", 2, 2, "2.00"),
        peer.snapshot("100001", "-2.00", "2026-11-02T00:00:00Z"),
        peer.charge("100001", "C-1", "2.00"),
        peer.usage("100001", "2026-10", "local", 3, 3, "3.00"),
        peer.usage("100001", "2026-10", "international", 4, 4, "4.00"),
        peer.snapshot("100001", "-3.00", "2026-11-03T00:00:00Z"),
    ]

    result = import_bytes(peer.package(records))

    assert result.ok, result.report
    assert result.package.applied_count == 9
    assert sorted(UsageSummary.objects.values_list("zone", "calls", "amount")) == [
        ("international", 4, Decimal("4.00")),
        ("local", 3, Decimal("3.00")),
    ]
    assert list(Charge.objects.values_list("charge_id", "amount")) == [("C-1", Decimal("2.00"))]
    assert list(BalanceSnapshot.objects.order_by("id").values_list("balance", flat=True)) == [
        Decimal("-1.00"),
        Decimal("-2.00"),
        Decimal("-3.00"),
    ]


@pytest.mark.parametrize("batch", [2, 1000])
def test_a_record_id_twice_in_a_batch_or_across_batches_is_applied_once(
    peer, company, monkeypatch, batch
):
    monkeypatch.setattr(services, "BATCH", batch)
    first = peer.snapshot("100001", "-1.00", "2026-11-01T00:00:00Z")
    second = peer.snapshot("100001", "-2.00", "2026-11-02T00:00:00Z")
    again = dict(first, data=dict(first["data"], balance="-9.00"))
    records = [first, first, second, again, peer.charge("100001", "C-1", "1.00"), second]

    result = import_bytes(peer.package(records))

    assert result.ok, result.report
    assert (result.package.applied_count, result.package.skipped_count) == (3, 3)
    assert list(BalanceSnapshot.objects.order_by("id").values_list("balance", flat=True)) == [
        Decimal("-1.00"),
        Decimal("-2.00"),
    ]
    assert billing_state()["records"] == 3


def test_a_rejection_after_batches_were_written_leaves_nothing(peer, company, monkeypatch):
    monkeypatch.setattr(services, "BATCH", 3)
    records = [
        peer.snapshot("100001", "-1.00", "2026-11-01T00:00:00Z"),
        peer.charge("100001", "C-1", "1.00"),
        peer.usage("100001", "2026-10", "local", 1, 1, "1.00"),
        peer.document("100001", "D-1"),
        call(peer, "X"),
        call(peer, "Y"),
        peer.charge("100001", "C-2", "2.00"),
        call(peer, "X", started_at="2026-11-06T07:15:00Z"),
    ]

    result = import_bytes(peer.package(records))

    assert not result.ok
    assert result.report == "line 8: call_id 'X' appears twice in this package (line 5)"
    assert billing_state() == EMPTY_STATE
    assert not Call.objects.exists()


def _statements(peer, count: int) -> int:  # type: ignore[no-untyped-def]
    kinds = [
        lambda i: peer.snapshot("100001", f"-{i}.00", "2026-11-01T00:00:00Z"),
        lambda i: peer.usage("100001", f"2025-{1 + i % 12:02d}", "local", i, i, "1.00"),
        lambda i: peer.charge("100001", f"C-{i}", "1.00"),
        lambda i: peer.document("100001", f"D-{i}"),
    ]
    data = peer.package(kinds[i % 4](i) for i in range(count))
    with CaptureQueriesContext(connection) as queries:
        result = import_bytes(data)
    assert result.ok, result.report
    return len(queries)


def test_the_statements_of_a_batch_do_not_grow_with_its_records(peer, company, monkeypatch):
    monkeypatch.setattr(services, "BATCH", 1000)
    # Four types interleaved record by record: one write per type and batch, not per run.
    assert _statements(peer, 8) == _statements(peer, 400)


def test_calls_are_written_with_a_fixed_number_of_statements(peer, company, monkeypatch):
    monkeypatch.setattr(services, "BATCH", 1000)
    partitions.ensure_partitions([(2026, 11)])  # made once, by the first import otherwise
    counts = []
    # (SQLite takes at most 999 parameters a statement: Django splits larger inserts.)
    for size, start in ((5, 0), (100, 100)):
        data = peer.package(
            call(peer, f"Q{start + i}", started_at=f"2026-11-{1 + i % 28:02d}T10:00:00Z")
            for i in range(size)
        )
        with CaptureQueriesContext(connection) as queries:
            assert import_bytes(data).ok
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert Call.objects.count() == 105
    assert Call.objects.get(call_id="Q0").started_at == dt.datetime(2026, 11, 1, 10, tzinfo=dt.UTC)

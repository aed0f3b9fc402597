"""call.detail packages: a good one is stored exactly; any bad line, a duplicate call id in
the package or one already stored rejects the whole package with its line, and nothing of
it stays."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Sum

from kabinet.calls import inbound
from kabinet.calls.models import Call, CallDay
from kabinet.exchange import services as exchange_services
from kabinet.exchange.models import ExchangePackage, ImportedRecord
from kabinet.exchange.tests.helpers import import_bytes

pytestmark = pytest.mark.django_db


def call(billing, call_id: str = "CDR-1", contract: str = "100001", **over):
    data = {
        "contract": contract,
        "call_id": over.pop("id_", call_id),
        "started_at": "2026-11-05T07:15:00Z",
        "direction": "out",
        "number": "78124001001",
        "peer": "74951234567",
        "zone": "long_distance",
        "duration_s": 125,
        "amount": "6.25",
    }
    data.update(over)
    return billing.record("call.detail", **data)


def nothing_stored() -> bool:
    return (
        not Call.objects.exists()
        and not ImportedRecord.objects.exists()
        and not ExchangePackage.objects.filter(status="imported").exists()
    )


def test_a_good_package_stores_every_call_exactly(peer, company, other_company):
    result = import_bytes(
        peer.package(
            [
                call(peer),
                call(
                    peer,
                    "CDR-2",
                    direction="in",
                    zone="incoming",
                    peer="",
                    duration_s=0,
                    amount="0.00",
                    started_at="2026-11-30T22:30:00+03:00",
                ),
                call(peer, "CDR-3", contract="100002", number="78124002002", zone="international"),
            ]
        )
    )
    assert result.ok, result.report
    rows = list(
        Call.objects.order_by("call_id").values_list(
            "client__contract_number",
            "call_id",
            "started_at",
            "direction",
            "number",
            "peer",
            "zone",
            "duration_s",
            "amount",
        )
    )
    assert rows == [
        (
            "100001",
            "CDR-1",
            dt.datetime(2026, 11, 5, 7, 15, tzinfo=dt.UTC),
            "out",
            "78124001001",
            "74951234567",
            "long_distance",
            125,
            Decimal("6.25"),
        ),
        (
            "100001",
            "CDR-2",
            dt.datetime(2026, 11, 30, 19, 30, tzinfo=dt.UTC),
            "in",
            "78124001001",
            "",
            "incoming",
            0,
            Decimal("0.00"),
        ),
        (
            "100002",
            "CDR-3",
            dt.datetime(2026, 11, 5, 7, 15, tzinfo=dt.UTC),
            "out",
            "78124002002",
            "74951234567",
            "international",
            125,
            Decimal("6.25"),
        ),
    ]
    assert result.package.applied_count == 3


BAD = [
    ({"number": "+78124001001"}, "number must be digits with the country code"),
    ({"number": "812"}, "number must be digits with the country code"),
    ({"number": "08124001001"}, "number must be digits with the country code"),
    ({"number": 78124001001}, "number must be digits with the country code"),
    ({"peer": "anonymous"}, 'peer must be digits, or "" when withheld'),
    ({"peer": None}, 'peer must be digits, or "" when withheld'),
    ({"duration_s": -1}, "duration_s must be a non-negative integer"),
    ({"duration_s": "60"}, "duration_s must be a non-negative integer"),
    ({"duration_s": 1.5}, "duration_s must be a non-negative integer"),
    ({"duration_s": True}, "duration_s must be a non-negative integer"),
    ({"amount": "-1.00"}, "amount must not be negative"),
    ({"amount": "1.5"}, "amount must be a money string with two decimals"),
    ({"amount": 1.5}, "amount must be a money string with two decimals"),
    ({"zone": "mobile"}, "zone must be one of local, long_distance, international, incoming"),
    ({"direction": "both"}, "direction must be one of out, in"),
    ({"started_at": "2026-11-05 07:15"}, "started_at must be an RFC 3339 time"),
    ({"id_": ""}, "call_id must not be empty"),
    ({"contract": "999999"}, "unknown contract '999999'"),
]


@pytest.mark.parametrize(("change", "reason"), BAD)
def test_a_bad_line_rejects_the_whole_package_with_its_number(peer, company, change, reason):
    result = import_bytes(
        peer.package([call(peer, "A"), call(peer, "B", **change), call(peer, "C")])
    )
    assert not result.ok
    assert result.report.startswith("line 2: ")
    assert reason in result.report
    assert nothing_stored()
    assert ExchangePackage.objects.get().status == "rejected"


def test_a_missing_field_rejects_the_package(peer, company):
    bad = call(peer, "B")
    del bad["data"]["peer"]
    result = import_bytes(peer.package([call(peer, "A"), bad]))
    assert result.report == "line 2: call.detail: missing field 'peer'"
    assert nothing_stored()


def test_a_call_id_twice_in_one_batch_rejects_the_package(peer, company):
    result = import_bytes(peer.package([call(peer, "A"), call(peer, "B"), call(peer, "A")]))
    assert not result.ok
    assert result.report == "line 3: call_id 'A' appears twice in this package (line 1)"
    assert nothing_stored()


# A chunk of 2 calls: each chunk is written (in a thread, on PostgreSQL) while the next is read.
CHUNKS = [2, inbound.CHUNK]


@pytest.mark.parametrize("chunk", CHUNKS)
def test_a_call_id_twice_in_different_batches_rejects_the_package(
    peer, company, monkeypatch, chunk
):
    monkeypatch.setattr(exchange_services, "BATCH", 2)
    monkeypatch.setattr(inbound, "CHUNK", chunk)
    records = [call(peer, f"X{i}") for i in range(5)] + [call(peer, "X1")]
    result = import_bytes(peer.package(records))
    assert not result.ok
    assert result.report == "line 6: call_id 'X1' appears twice in this package (line 2)"
    assert nothing_stored()


def test_a_call_already_stored_rejects_the_next_package_and_a_fixed_one_applies(peer, company):
    assert import_bytes(peer.package([call(peer, "A")])).ok
    again = import_bytes(peer.package([call(peer, "B"), call(peer, "A", duration_s=9)]))
    assert not again.ok
    assert again.report == "line 2: call_id 'A' is already stored (from an earlier package)"
    assert list(Call.objects.values_list("call_id", "duration_s")) == [("A", 125)]
    fixed = import_bytes(peer.package([call(peer, "B")], sequence=2))
    assert fixed.ok, fixed.report
    assert sorted(Call.objects.values_list("call_id", flat=True)) == ["A", "B"]


def test_a_record_seen_before_is_skipped_not_a_duplicate(peer, company):
    record = call(peer, "A")
    assert import_bytes(peer.package([record])).ok
    result = import_bytes(peer.package([record, call(peer, "B")]))
    assert result.ok, result.report
    assert (result.package.applied_count, result.package.skipped_count) == (1, 1)
    assert Call.objects.count() == 2


@pytest.mark.parametrize(("batch", "chunk"), [(2, 2), (2, inbound.CHUNK), (1000, inbound.CHUNK)])
def test_a_record_twice_in_one_package_applies_once_not_a_duplicate(
    peer, company, monkeypatch, batch, chunk
):
    monkeypatch.setattr(inbound, "CHUNK", chunk)
    monkeypatch.setattr(exchange_services, "BATCH", batch)
    record = call(peer, "A")
    result = import_bytes(peer.package([record, call(peer, "B"), record, call(peer, "C")]))
    assert result.ok, result.report
    assert (result.package.applied_count, result.package.skipped_count) == (3, 1)
    assert sorted(Call.objects.values_list("call_id", flat=True)) == ["A", "B", "C"]
    assert CallDay.objects.aggregate(n=Sum("calls"))["n"] == 3


@pytest.mark.parametrize("chunk", [5, 14, inbound.CHUNK])
def test_many_batches_of_many_months_are_all_stored(peer, company, monkeypatch, chunk):
    monkeypatch.setattr(exchange_services, "BATCH", 7)
    monkeypatch.setattr(inbound, "CHUNK", chunk)
    records = [
        call(peer, f"M{i}", started_at=f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T10:00:00Z")
        for i in range(50)
    ]
    result = import_bytes(peer.package(records))
    assert result.ok, result.report
    assert Call.objects.count() == 50


def test_memory_does_not_grow_with_the_package(peer, company, monkeypatch):
    import tracemalloc

    from kabinet.calls import inbound

    # Calls are held a chunk at a time (200,000 in production; 1,000 here).
    monkeypatch.setattr(inbound, "CHUNK", 1000)

    peaks = []
    for size, start in ((1500, 0), (6000, 10_000)):
        data = peer.package(
            call(peer, f"MEM{start + i}", started_at=f"2026-11-{1 + i % 28:02d}T10:00:00Z")
            for i in range(size)
        )
        tracemalloc.start()
        result = import_bytes(data)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert result.ok, result.report
    assert Call.objects.count() == 7500
    # Four times the records, about the same peak: a chunk at a time, never the package.
    assert peaks[1] < peaks[0] * 1.5, peaks


def _cells() -> set[tuple]:
    from kabinet.calls.days import COLUMNS
    from kabinet.calls.models import CallDay

    return set(CallDay.objects.values_list(*COLUMNS))


def test_imports_add_their_calls_to_the_days_as_a_rebuild_would(peer, company, monkeypatch):
    """Calls of many batches and two packages in a row (the same cells hit again, across the
    operator's midnight): the days' cells are the calls summed, as ``days_rebuild`` finds;
    a package rejected after its calls were set aside adds nothing to them."""
    from kabinet.calls.days import days_rebuild

    monkeypatch.setattr(exchange_services, "BATCH", 4)

    def calls(prefix: str, count: int) -> list:
        return [
            call(
                peer,
                f"{prefix}{i}",
                started_at=f"2026-11-{1 + i % 3:02d}T{20 + i % 4:02d}:{i % 60:02d}:00Z",
                direction=("out", "in")[i % 2],
                zone=("local", "incoming")[i % 2],
                duration_s=(5, 45, 125, 700)[i % 4],
                amount=f"{i % 5}.25",
            )
            for i in range(count)
        ]

    assert import_bytes(peer.package(calls("A", 23))).ok
    assert import_bytes(peer.package(calls("B", 17), sequence=2)).ok
    imported = _cells()
    assert sum(c[6] for c in imported) == 40 and len(imported) < 40
    rejected = import_bytes(peer.package([*calls("C", 9), call(peer, "A3")], sequence=3))
    assert not rejected.ok and "line 10" in rejected.report
    assert _cells() == imported
    days_rebuild()
    assert _cells() == imported


def test_a_duplicate_found_while_the_next_chunk_is_read_leaves_nothing(peer, company, monkeypatch):
    """A chunk's duplicate is found by the statements that write it, while this process
    reads the next chunk: the rejection names its line, the lines after it are still read
    for the report, and nothing of any chunk stays."""
    assert import_bytes(peer.package([call(peer, "OLD")])).ok
    monkeypatch.setattr(exchange_services, "BATCH", 2)
    monkeypatch.setattr(inbound, "CHUNK", 4)
    records = [call(peer, f"N{i}") for i in range(6)] + [call(peer, "OLD")]
    records += [call(peer, f"P{i}") for i in range(9)]
    result = import_bytes(peer.package(records, sequence=2))
    assert not result.ok
    assert result.report == "line 7: call_id 'OLD' is already stored (from an earlier package)"
    assert list(Call.objects.values_list("call_id", flat=True)) == ["OLD"]
    assert CallDay.objects.aggregate(n=Sum("calls"))["n"] == 1
    assert ImportedRecord.objects.count() == 1


def test_a_bad_line_after_chunks_were_written_leaves_nothing(peer, company, monkeypatch):
    monkeypatch.setattr(exchange_services, "BATCH", 2)
    monkeypatch.setattr(inbound, "CHUNK", 2)
    records = [call(peer, f"N{i}") for i in range(9)] + [call(peer, "BAD", duration_s=-1)]
    result = import_bytes(peer.package(records))
    assert not result.ok
    assert result.report.startswith("line 10: call.detail: duration_s ")
    assert nothing_stored()
    assert not CallDay.objects.exists()


def test_a_nul_in_a_call_id_is_a_bad_line(peer, company):
    """specs/billing-exchange.md, "Records": a line is a JSON object, and JSON may carry
    "\\u0000" in a string; PostgreSQL cannot store it in text, so the line is refused with
    a reason (a decision of ours: the spec says nothing of it) instead of failing mid-import."""
    result = import_bytes(peer.package([call(peer, "A"), call(peer, "B\x00")]))
    assert result.report == (
        "line 2: call.detail: call_id must not contain the NUL character (\\u0000)"
    )
    assert nothing_stored()

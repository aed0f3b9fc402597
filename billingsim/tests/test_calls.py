"""`bill --calls`: call details that add up to the usage summaries, from the client's own
numbers, mostly in working hours; exports split by the records size limit."""

from __future__ import annotations

import re
import sqlite3
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from billingsim.billing import bill_period
from billingsim.exporter import export_package
from billingsim.tests.helpers import read_billing_package
from billingsim.tests.sitepkg import SiteKey
from billingsim.tests.test_billing import Trusted, setup_clients

MSK = timezone(timedelta(hours=3))


def _calls(conn: sqlite3.Connection) -> list[dict]:
    import json

    return [
        json.loads(row[0])
        for row in conn.execute("SELECT data FROM outbox WHERE type = 'call.detail' ORDER BY seq")
    ]


def test_call_details_add_up_to_the_usage_summaries(
    tmp_path: Path, conn: sqlite3.Connection, site_key: SiteKey, trusted: Trusted
) -> None:
    setup_clients(tmp_path, conn, site_key, trusted)
    bill_period(conn, "2026-11", seed=1, calls=True)
    calls = _calls(conn)
    assert calls
    by_zone: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for call in calls:
        by_zone[call["contract"], call["zone"]].append(call)
        assert re.fullmatch(r"[1-9]\d{6,14}", call["number"])
        assert call["peer"] == "" or re.fullmatch(r"\d{1,20}", call["peer"])
        assert call["duration_s"] >= 0
        assert re.fullmatch(r"\d+\.\d\d", call["amount"])
        started = datetime.fromisoformat(call["started_at"].replace("Z", "+00:00"))
        assert started.astimezone(MSK).strftime("%Y-%m") == "2026-11"
        assert (call["direction"] == "in") == (call["zone"] == "incoming")
    assert {c["number"] for c in calls if c["contract"] == "1001"} == {"74950000001"}
    for row in conn.execute("SELECT * FROM usage"):
        zone_calls = by_zone[row["contract"], row["zone"]]
        assert len(zone_calls) == row["calls"]
        minutes = sum((c["duration_s"] + 59) // 60 for c in zone_calls)
        assert minutes == row["minutes"]
        cents = sum(int(Decimal(c["amount"]) * 100) for c in zone_calls)
        assert cents == row["amount_cents"]
    assert len({c["call_id"] for c in calls}) == len(calls)
    hours = Counter(
        datetime.fromisoformat(c["started_at"].replace("Z", "+00:00")).astimezone(MSK).hour
        for c in calls
    )
    working = sum(n for h, n in hours.items() if 9 <= h < 18)
    assert working > 0.7 * len(calls)


def test_calls_change_no_amount(tmp_path: Path, site_key: SiteKey, trusted: Trusted) -> None:
    from billingsim import db

    totals = []
    for name, with_calls in (("a", False), ("b", True)):
        conn = db.connect(tmp_path / name)
        setup_clients(tmp_path / name, conn, site_key, trusted)
        bill_period(conn, "2026-11", seed=42, calls=with_calls)
        totals.append(
            list(
                conn.execute(
                    "SELECT contract, zone, calls, minutes, amount_cents FROM usage ORDER BY 1, 2"
                ).fetchall()
            )
        )
        conn.close()
    assert [tuple(r) for r in totals[0]] == [tuple(r) for r in totals[1]]


def test_exports_are_split_by_the_size_limit_and_carry_every_call_once(
    tmp_path: Path,
    conn: sqlite3.Connection,
    home: Path,
    site_key: SiteKey,
    trusted: Trusted,
) -> None:
    key = Ed25519PrivateKey.generate()
    setup_clients(tmp_path, conn, site_key, trusted)
    bill_period(conn, "2026-11", seed=3, calls=True)
    expected = {c["call_id"] for c in _calls(conn)}
    seen: list[str] = []
    sizes = []
    for _ in range(200):
        result = export_package(conn, home, key, None, max_bytes=60_000)
        _manifest, records, body = read_billing_package(result.path, key.public_key())
        sizes.append(len(body))
        seen += [r["data"]["call_id"] for r in records if r["type"] == "call.detail"]
        if not result.pending:
            break
    assert len(sizes) > 2
    assert max(sizes) <= 60_000
    assert len(seen) == len(set(seen)) and set(seen) == expected


@pytest.mark.parametrize("until_day", [10])
def test_no_call_is_in_the_future(until_day: int) -> None:
    import random

    from billingsim.calls import zone_calls

    until = datetime(2026, 11, until_day, tzinfo=UTC)
    calls = list(
        zone_calls(
            random.Random(1),
            contract="1001",
            period="2026-11",
            zone="local",
            calls=50,
            minutes=120,
            per_minute=Decimal("1.50"),
            numbers=["78124001001"],
            until=until,
        )
    )
    assert all(c.started_at < until for c in calls)
    assert sum(c.amount for c in calls) == Decimal("180.00")


def test_a_client_with_many_lines_makes_more_calls(
    tmp_path: Path, conn: sqlite3.Connection, site_key: SiteKey, trusted: Trusted
) -> None:
    import json

    from billingsim.calls import traffic_scale

    setup_clients(tmp_path, conn, site_key, trusted)
    assert traffic_scale(conn, "1001") == 1
    conn.execute(
        "UPDATE subscriptions SET parameters = ? WHERE contract = '1001'",
        (json.dumps({"number": "+74950000001", "lines": 8}),),
    )
    assert traffic_scale(conn, "1001") == 4
    bill_period(conn, "2026-11", seed=1, calls=True)
    usage = conn.execute("SELECT SUM(calls) FROM usage WHERE contract = '1001'").fetchone()[0]
    outgoing = [c for c in _calls(conn) if c["contract"] == "1001" and c["direction"] == "out"]
    assert len(outgoing) == usage > 40


def test_calls_early_on_the_first_of_the_month_are_before_now() -> None:
    import random

    from billingsim.calls import incoming_calls

    until = datetime(2026, 12, 1, 0, 5, tzinfo=MSK)
    calls = list(
        incoming_calls(
            random.Random(2),
            contract="1001",
            period="2026-12",
            count=5,
            numbers=["78124001001"],
            until=until,
        )
    )
    assert all(datetime(2026, 12, 1, tzinfo=MSK) <= c.started_at < until for c in calls)

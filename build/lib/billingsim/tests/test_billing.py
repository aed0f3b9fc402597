from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from billingsim import db
from billingsim.billing import bill_period
from billingsim.importer import import_package
from billingsim.tests.conftest import dump
from billingsim.tests.sitepkg import SiteKey, client, payment, subscription, tariff, write_package

Trusted = dict[str, Ed25519PublicKey]
PRICES = {
    "monthly_fee": "990.00",
    "per_minute_local": "0.90",
    "per_minute_long_distance": "2.50",
    "per_minute_international": "15.00",
}


def setup_clients(tmp_path: Path, conn: sqlite3.Connection, key: SiteKey, trusted: Trusted) -> None:
    records = [
        tariff("T1", PRICES),
        tariff("NET", {}),
        client("1001"),
        subscription("1001", "S1", "T1"),
        payment("1001", "P1", "2000.00"),
        client("1002"),
        subscription("1002", "S2", "NET"),
        client("1003", status="suspended"),
        subscription("1003", "S3", "T1"),
        client("1004"),
    ]
    import_package(conn, write_package(tmp_path / "1.zip", key, 1, records), trusted)


def charges(conn: sqlite3.Connection, contract: str) -> list[tuple[int, str]]:
    return [
        tuple(r)
        for r in conn.execute(
            "SELECT amount_cents, description FROM charges WHERE contract = ? ORDER BY rowid",
            (contract,),
        )
    ]


def test_bill_posts_fee_usage_and_two_documents_for_active_clients(
    tmp_path: Path, conn: sqlite3.Connection, site_key: SiteKey, trusted: Trusted
) -> None:
    setup_clients(tmp_path, conn, site_key, trusted)
    result = bill_period(conn, "2026-11", seed=1)
    assert result.billed == ["1001", "1002"]
    assert result.nothing_to_bill == ["1004"]  # active, but no subscription
    fee, *calls = charges(conn, "1001")
    assert fee[0] == 99000
    usage = {r["zone"]: r for r in conn.execute("SELECT * FROM usage WHERE contract = '1001'")}
    assert set(usage) == {"local", "long_distance", "international"}
    price = {"local": 90, "long_distance": 250, "international": 1500}
    for zone, row in usage.items():
        assert row["amount_cents"] == row["minutes"] * price[zone]
        assert row["calls"] <= row["minutes"]
    assert sum(c[0] for c in calls) == sum(r["amount_cents"] for r in usage.values())
    docs = conn.execute(
        "SELECT kind, number, date, amount_cents, pdf FROM documents "
        "WHERE contract = '1001' ORDER BY kind"
    ).fetchall()
    assert [d["kind"] for d in docs] == ["act", "invoice"]
    assert all(d["date"] == "2026-11-30" for d in docs)
    total = sum(c[0] for c in charges(conn, "1001"))
    assert all(d["amount_cents"] == total for d in docs)
    assert all(d["pdf"].startswith(b"%PDF-") and len(d["pdf"]) < 64 * 1024 for d in docs)
    assert db.balance_cents(conn, "1001") == 200000 - total
    assert not charges(conn, "1003")  # suspended clients are not billed


def test_tariff_without_prices_falls_back_to_defaults(
    tmp_path: Path, conn: sqlite3.Connection, site_key: SiteKey, trusted: Trusted
) -> None:
    setup_clients(tmp_path, conn, site_key, trusted)
    bill_period(conn, "2026-11", seed=1)
    fee = charges(conn, "1002")[0]
    assert fee[0] > 0 and "Тариф NET" in fee[1]


def test_bill_twice_for_the_same_period_does_not_double_charge(
    tmp_path: Path, conn: sqlite3.Connection, site_key: SiteKey, trusted: Trusted
) -> None:
    setup_clients(tmp_path, conn, site_key, trusted)
    bill_period(conn, "2026-11", seed=1)
    before = dump(conn)
    again = bill_period(conn, "2026-11", seed=2)
    assert again.billed == [] and again.already_billed == ["1001", "1002"]
    assert dump(conn) == before
    bill_period(conn, "2026-12", seed=1)
    assert conn.execute("SELECT COUNT(DISTINCT period) FROM charges").fetchone()[0] == 2


def test_same_seed_gives_the_same_amounts(
    tmp_path: Path, site_key: SiteKey, trusted: Trusted
) -> None:
    results = []
    for name in ("a", "b"):
        conn = db.connect(tmp_path / name)
        setup_clients(tmp_path / name, conn, site_key, trusted)
        bill_period(conn, "2026-11", seed=42)
        results.append(
            (
                [
                    tuple(r)
                    for r in conn.execute(
                        "SELECT contract, zone, calls, minutes, amount_cents "
                        "FROM usage ORDER BY 1, 2"
                    )
                ],
                [
                    tuple(r)
                    for r in conn.execute(
                        "SELECT contract, amount_cents, description FROM charges ORDER BY rowid"
                    )
                ],
                [
                    tuple(r)
                    for r in conn.execute(
                        "SELECT number, amount_cents, pdf FROM documents ORDER BY number"
                    )
                ],
            )
        )
        conn.close()
    assert results[0] == results[1]


def test_charges_are_queued_as_records_with_two_decimal_money(
    tmp_path: Path, conn: sqlite3.Connection, site_key: SiteKey, trusted: Trusted
) -> None:
    setup_clients(tmp_path, conn, site_key, trusted)
    bill_period(conn, "2026-11", seed=3)
    for row in conn.execute("SELECT type, data FROM outbox"):
        data = json.loads(row["data"])
        if "amount" in data:
            assert isinstance(data["amount"], str)
            assert Decimal(data["amount"]) == Decimal(data["amount"]).quantize(Decimal("0.01"))
            assert data["amount"].split(".")[1].isdigit() and len(data["amount"].split(".")[1]) == 2
    types = [r[0] for r in conn.execute("SELECT type FROM outbox")]
    assert types.count("document.issued") == 4 and types.count("usage.summary") == 6

from __future__ import annotations

import base64
import sqlite3
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from billingsim import db
from billingsim.billing import bill_period
from billingsim.exporter import copy_package, export_package
from billingsim.importer import import_package
from billingsim.status import collect_status, set_status
from billingsim.tests.helpers import read_billing_package
from billingsim.tests.sitepkg import (
    SiteKey,
    client,
    payment,
    refund,
    subscription,
    tariff,
    write_package,
)

Trusted = dict[str, Ed25519PublicKey]
UUID_CHARS = set("0123456789abcdef-")


@pytest.fixture
def billing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def first_import(tmp_path: Path, conn: sqlite3.Connection, key: SiteKey, trusted: Trusted) -> None:
    records = [
        tariff(),
        client("1001"),
        subscription("1001"),
        payment("1001", "P1", "2000.00"),
        refund("1001", "P1", "150.50"),
        client("1002"),
    ]
    import_package(conn, write_package(tmp_path / "s1.zip", key, 1, records), trusted)


def test_export_writes_a_signed_package_whose_sequences_grow_by_one(
    tmp_path: Path,
    conn: sqlite3.Connection,
    home: Path,
    site_key: SiteKey,
    trusted: Trusted,
    billing_key: Ed25519PrivateKey,
) -> None:
    first_import(tmp_path, conn, site_key, trusted)
    bill_period(conn, "2026-11", seed=5)
    public = billing_key.public_key()
    sequences = []
    for _ in range(3):
        result = export_package(conn, home, billing_key, None)
        manifest, _, _ = read_billing_package(result.path, public)
        sequences.append(manifest["sequence"])
        assert result.path.parent == home / "outgoing"
    assert sequences == [1, 2, 3]


def test_first_export_carries_every_record_in_the_agreed_order(
    tmp_path: Path,
    conn: sqlite3.Connection,
    home: Path,
    site_key: SiteKey,
    trusted: Trusted,
    billing_key: Ed25519PrivateKey,
) -> None:
    first_import(tmp_path, conn, site_key, trusted)
    bill_period(conn, "2026-11", seed=5)
    set_status(conn, "1001", "S1", "suspended")
    set_status(conn, "1002", None, "closed")
    result = export_package(conn, home, billing_key, None)
    manifest, records, _ = read_billing_package(result.path, billing_key.public_key())
    types = [r["type"] for r in records]
    assert types == (
        ["balance.snapshot"] * 2
        + ["charge.posted"] * types.count("charge.posted")
        + ["usage.summary"] * 3
        + ["document.issued"] * 2
        + ["subscription.status", "client.status"]
    )
    snapshots = {r["data"]["contract"]: r["data"] for r in records[:2]}
    charged = sum(
        int(r["data"]["amount"].replace(".", "")) for r in records if r["type"] == "charge.posted"
    )
    assert snapshots["1001"]["balance"] == f"{(200000 - 15050 - charged) / 100:.2f}"
    assert snapshots["1002"]["balance"] == "0.00"
    assert snapshots["1001"]["as_of"] == "2026-11-24T10:15:00Z"  # the website package's time
    assert all(len(r["id"]) == 36 and set(r["id"]) <= UUID_CHARS for r in records)
    assert all(r["at"].endswith("Z") for r in records)
    documents = [r["data"] for r in records if r["type"] == "document.issued"]
    assert {d["kind"] for d in documents} == {"invoice", "act"}
    assert all(base64.b64decode(d["pdf_base64"]).startswith(b"%PDF-") for d in documents)
    assert records[-2]["data"] == {
        "contract": "1001",
        "subscription_id": "S1",
        "status": "suspended",
    }
    assert records[-1]["data"] == {"contract": "1002", "status": "closed"}
    assert manifest["ack_through"] == 1


def test_export_with_nothing_new_is_still_written_with_an_empty_records_file(
    tmp_path: Path,
    conn: sqlite3.Connection,
    home: Path,
    site_key: SiteKey,
    trusted: Trusted,
    billing_key: Ed25519PrivateKey,
) -> None:
    first_import(tmp_path, conn, site_key, trusted)
    export_package(conn, home, billing_key, None)
    result = export_package(conn, home, billing_key, tmp_path / "out" / "again.zip")
    manifest, records, body = read_billing_package(result.path, billing_key.public_key())
    assert (manifest["sequence"], manifest["record_count"], body, records) == (2, 0, b"", [])
    assert (tmp_path / "out" / "again.zip").read_bytes() == result.path.read_bytes()


def test_snapshots_only_for_clients_whose_balance_changed(
    tmp_path: Path,
    conn: sqlite3.Connection,
    home: Path,
    site_key: SiteKey,
    trusted: Trusted,
    billing_key: Ed25519PrivateKey,
) -> None:
    first_import(tmp_path, conn, site_key, trusted)
    export_package(conn, home, billing_key, None)
    pkg = write_package(
        tmp_path / "s2.zip",
        site_key,
        2,
        [payment("1002", "P2", "50.00")],
        created_at="2026-11-25T08:00:00Z",
    )
    import_package(conn, pkg, trusted)
    result = export_package(conn, home, billing_key, None)
    _, records, _ = read_billing_package(result.path, billing_key.public_key())
    assert [r["data"] for r in records] == [
        {"contract": "1002", "balance": "50.00", "as_of": "2026-11-25T08:00:00Z"}
    ]


def test_snapshots_of_one_client_never_share_an_as_of(
    tmp_path: Path,
    conn: sqlite3.Connection,
    home: Path,
    site_key: SiteKey,
    trusted: Trusted,
    billing_key: Ed25519PrivateKey,
) -> None:
    first_import(tmp_path, conn, site_key, trusted)
    export_package(conn, home, billing_key, None)
    bill_period(conn, "2026-11", seed=1)  # balance changes with no new website package
    result = export_package(conn, home, billing_key, None)
    _, records, _ = read_billing_package(result.path, billing_key.public_key())
    snapshot = next(r["data"] for r in records if r["type"] == "balance.snapshot")
    assert snapshot["as_of"] == "2026-11-24T10:15:01Z"


def test_ack_through_reflects_the_highest_site_sequence_applied(
    tmp_path: Path,
    conn: sqlite3.Connection,
    home: Path,
    site_key: SiteKey,
    trusted: Trusted,
    billing_key: Ed25519PrivateKey,
) -> None:
    public = billing_key.public_key()
    manifest, _, _ = read_billing_package(
        export_package(conn, home, billing_key, None).path, public
    )
    assert manifest["ack_through"] == 0
    first_import(tmp_path, conn, site_key, trusted)
    import_package(
        conn, write_package(tmp_path / "s2.zip", site_key, 2, [], ack_through=1), trusted
    )
    manifest, _, _ = read_billing_package(
        export_package(conn, home, billing_key, None).path, public
    )
    assert manifest["ack_through"] == 2
    status = collect_status(conn)
    assert (status["site_sequence_imported"], status["site_ack_through"]) == (2, 1)


def test_record_ids_are_never_reused_across_exports(
    tmp_path: Path,
    conn: sqlite3.Connection,
    home: Path,
    site_key: SiteKey,
    trusted: Trusted,
    billing_key: Ed25519PrivateKey,
) -> None:
    first_import(tmp_path, conn, site_key, trusted)
    ids: list[str] = []
    for period in ("2026-10", "2026-11"):
        bill_period(conn, period, seed=1)
        result = export_package(conn, home, billing_key, None)
        ids += [r["id"] for r in read_billing_package(result.path, billing_key.public_key())[1]]
    assert len(ids) == len(set(ids)) > 0


def test_exported_package_can_be_downloaded_again_byte_for_byte(
    tmp_path: Path,
    conn: sqlite3.Connection,
    home: Path,
    site_key: SiteKey,
    trusted: Trusted,
    billing_key: Ed25519PrivateKey,
) -> None:
    first_import(tmp_path, conn, site_key, trusted)
    original = export_package(conn, home, billing_key, None).path.read_bytes()
    export_package(conn, home, billing_key, None)
    copy = copy_package(conn, home, 1, tmp_path / "copy.zip")
    assert copy.read_bytes() == original
    (home / "outgoing" / "billing-to-site-000001.zip").write_bytes(b"tampered")
    with pytest.raises(LookupError):
        copy_package(conn, home, 1, tmp_path / "copy2.zip")


def test_set_status_to_the_same_value_queues_nothing(
    tmp_path: Path, conn: sqlite3.Connection, site_key: SiteKey, trusted: Trusted
) -> None:
    first_import(tmp_path, conn, site_key, trusted)
    assert set_status(conn, "1001", None, "suspended") is True
    assert set_status(conn, "1001", None, "suspended") is False
    assert conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 1
    assert db.last_billing_sequence(conn) == 0

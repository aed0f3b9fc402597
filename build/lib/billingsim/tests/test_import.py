from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from billingsim import db
from billingsim.importer import ImportRejected, import_package
from billingsim.tests.conftest import dump
from billingsim.tests.sitepkg import (
    SiteKey,
    client,
    make_site_key,
    payment,
    refund,
    subscription,
    tariff,
    write_package,
)

Trusted = dict[str, Ed25519PublicKey]


def base_records() -> list[dict]:
    return [tariff(), client(), subscription(), payment(), refund()]


def test_good_package_applies_every_record(
    tmp_path: Path, conn: sqlite3.Connection, site_key: SiteKey, trusted: Trusted
) -> None:
    pkg = write_package(tmp_path / "p1.zip", site_key, 1, base_records(), ack_through=0)
    result = import_package(conn, pkg, trusted)
    assert (result.applied, result.skipped, result.already_imported) == (5, 0, False)
    row = conn.execute("SELECT name, inn, kpp, status FROM clients").fetchone()
    assert tuple(row) == ("ООО «Клиент 1001»", "7701234567", "770101001", "active")
    assert conn.execute("SELECT COUNT(*) FROM subscriptions").fetchone()[0] == 1
    assert conn.execute("SELECT prices FROM tariffs").fetchone()[0] == '{"monthly_fee":"990.00"}'
    assert db.balance_cents(conn, "1001") == 140000
    assert db.last_site_sequence(conn) == 1


def test_same_package_twice_applies_once_and_says_already_imported(
    tmp_path: Path, conn: sqlite3.Connection, site_key: SiteKey, trusted: Trusted
) -> None:
    pkg = write_package(tmp_path / "p1.zip", site_key, 1, base_records())
    import_package(conn, pkg, trusted)
    before = dump(conn)
    again = import_package(conn, pkg, trusted)
    assert again.already_imported
    assert dump(conn) == before
    assert db.balance_cents(conn, "1001") == 140000


def test_same_record_id_in_two_packages_applies_once(
    tmp_path: Path, conn: sqlite3.Connection, site_key: SiteKey, trusted: Trusted
) -> None:
    pay = payment(payment_id="P9", amount="300.00")
    import_package(conn, write_package(tmp_path / "1.zip", site_key, 1, [client(), pay]), trusted)
    second = import_package(
        conn,
        write_package(tmp_path / "2.zip", site_key, 2, [pay, payment(payment_id="P10")]),
        trusted,
    )
    assert (second.applied, second.skipped) == (1, 1)
    assert db.balance_cents(conn, "1001") == 30000 + 150000


def test_same_record_id_twice_in_one_package_applies_once(
    tmp_path: Path, conn: sqlite3.Connection, site_key: SiteKey, trusted: Trusted
) -> None:
    back = refund(amount="10.00")
    pkg = write_package(tmp_path / "1.zip", site_key, 1, [client(), payment(), back, back])
    result = import_package(conn, pkg, trusted)
    assert (result.applied, result.skipped) == (3, 1)
    assert db.balance_cents(conn, "1001") == 150000 - 1000


def test_empty_package_is_applied_and_advances_the_sequence(
    tmp_path: Path, conn: sqlite3.Connection, site_key: SiteKey, trusted: Trusted
) -> None:
    pkg = write_package(tmp_path / "1.zip", site_key, 1, [], ack_through=0)
    assert import_package(conn, pkg, trusted).record_count == 0
    assert db.last_site_sequence(conn) == 1


def test_upsert_overwrites_client_fields(
    tmp_path: Path, conn: sqlite3.Connection, site_key: SiteKey, trusted: Trusted
) -> None:
    import_package(conn, write_package(tmp_path / "1.zip", site_key, 1, [client()]), trusted)
    changed = client(status="suspended", kpp="")
    import_package(conn, write_package(tmp_path / "2.zip", site_key, 2, [changed]), trusted)
    assert tuple(conn.execute("SELECT kpp, status FROM clients").fetchone()) == ("", "suspended")


def test_second_key_can_be_trusted_for_rotation(
    tmp_path: Path, conn: sqlite3.Connection, site_key: SiteKey
) -> None:
    new_key = make_site_key(tmp_path / "new", "site-new")
    from billingsim.keys import load_trusted_keys

    trusted = load_trusted_keys([site_key.public_path, new_key.public_path])
    import_package(conn, write_package(tmp_path / "1.zip", site_key, 1, [client()]), trusted)
    import_package(conn, write_package(tmp_path / "2.zip", new_key, 2, [payment()]), trusted)
    assert db.last_site_sequence(conn) == 2


# --- rejections: each one must leave the database exactly as it was -------------------


def seeded(tmp_path: Path, conn: sqlite3.Connection, key: SiteKey, trusted: Trusted) -> list[str]:
    """Import package 1 so rejections are checked against a non-empty database."""
    import_package(conn, write_package(tmp_path / "seed.zip", key, 1, base_records()), trusted)
    return dump(conn)


def rejected(conn: sqlite3.Connection, pkg: Path, trusted: Trusted, before: list[str]) -> str:
    with pytest.raises(ImportRejected) as caught:
        import_package(conn, pkg, trusted)
    assert dump(conn) == before
    return "\n".join(caught.value.reasons)


def test_bad_signature_is_rejected(
    tmp_path: Path, conn: sqlite3.Connection, site_key: SiteKey, trusted: Trusted
) -> None:
    before = seeded(tmp_path, conn, site_key, trusted)
    forged = site_key.sign(b"some other manifest")
    pkg = write_package(tmp_path / "2.zip", site_key, 2, [payment("1001", "P2")], signature=forged)
    assert "bad signature" in rejected(conn, pkg, trusted, before)


def test_tampered_manifest_is_rejected_by_signature(
    tmp_path: Path, conn: sqlite3.Connection, site_key: SiteKey, trusted: Trusted
) -> None:
    before = seeded(tmp_path, conn, site_key, trusted)

    def tamper(members: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
        name, manifest = members[0]
        return [(name, manifest.replace(b'"ack_through": 0', b'"ack_through": 9')), *members[1:]]

    pkg = write_package(tmp_path / "2.zip", site_key, 2, [payment("1001", "P2")], mutate=tamper)
    assert "bad signature" in rejected(conn, pkg, trusted, before)


def test_unknown_key_is_rejected(
    tmp_path: Path, conn: sqlite3.Connection, site_key: SiteKey, trusted: Trusted
) -> None:
    before = seeded(tmp_path, conn, site_key, trusted)
    stranger = make_site_key(tmp_path / "stranger")
    pkg = write_package(tmp_path / "2.zip", stranger, 2, [payment("1001", "P2")])
    assert f"unknown key '{stranger.key_id}'" in rejected(conn, pkg, trusted, before)


def test_wrong_direction_is_rejected(
    tmp_path: Path, conn: sqlite3.Connection, site_key: SiteKey, trusted: Trusted
) -> None:
    before = seeded(tmp_path, conn, site_key, trusted)
    pkg = write_package(tmp_path / "2.zip", site_key, 2, [], direction="billing-to-site")
    assert "wrong direction" in rejected(conn, pkg, trusted, before)


def test_wrong_sender_is_rejected(
    tmp_path: Path, conn: sqlite3.Connection, site_key: SiteKey, trusted: Trusted
) -> None:
    before = seeded(tmp_path, conn, site_key, trusted)
    pkg = write_package(tmp_path / "2.zip", site_key, 2, [], sender="billing")
    assert "wrong sender" in rejected(conn, pkg, trusted, before)


def test_unsupported_format_is_rejected(
    tmp_path: Path, conn: sqlite3.Connection, site_key: SiteKey, trusted: Trusted
) -> None:
    before = seeded(tmp_path, conn, site_key, trusted)
    pkg = write_package(tmp_path / "2.zip", site_key, 2, [], format=2)
    assert "unsupported format" in rejected(conn, pkg, trusted, before)


def test_records_sha_mismatch_is_rejected(
    tmp_path: Path, conn: sqlite3.Connection, site_key: SiteKey, trusted: Trusted
) -> None:
    before = seeded(tmp_path, conn, site_key, trusted)
    pkg = write_package(
        tmp_path / "2.zip", site_key, 2, [payment("1001", "P2")], records_sha256="0" * 64
    )
    assert "records_sha256 mismatch" in rejected(conn, pkg, trusted, before)


def test_record_count_mismatch_is_rejected(
    tmp_path: Path, conn: sqlite3.Connection, site_key: SiteKey, trusted: Trusted
) -> None:
    before = seeded(tmp_path, conn, site_key, trusted)
    pkg = write_package(tmp_path / "2.zip", site_key, 2, [payment("1001", "P2")], record_count=2)
    assert "record_count mismatch" in rejected(conn, pkg, trusted, before)


def test_sequence_gap_is_rejected_naming_the_missing_sequence(
    tmp_path: Path, conn: sqlite3.Connection, site_key: SiteKey, trusted: Trusted
) -> None:
    before = seeded(tmp_path, conn, site_key, trusted)
    pkg = write_package(tmp_path / "4.zip", site_key, 4, [payment("1001", "P2")])
    report = rejected(conn, pkg, trusted, before)
    assert "missing sequence 2..3" in report


def test_first_package_must_be_sequence_one(
    tmp_path: Path, conn: sqlite3.Connection, site_key: SiteKey, trusted: Trusted
) -> None:
    pkg = write_package(tmp_path / "2.zip", site_key, 2, [client()])
    assert "missing sequence 1" in rejected(conn, pkg, trusted, dump(conn))


def test_bad_record_is_reported_with_its_line_number(
    tmp_path: Path, conn: sqlite3.Connection, site_key: SiteKey, trusted: Trusted
) -> None:
    before = seeded(tmp_path, conn, site_key, trusted)
    bad = payment("1001", "P3")
    del bad["data"]["channel"]
    records = [payment("1001", "P2"), client("2002"), bad, payment("2002", "P4")]
    report = rejected(
        conn, write_package(tmp_path / "2.zip", site_key, 2, records), trusted, before
    )
    assert report == "line 3: payment.captured: missing field 'channel'"


def test_bad_money_is_rejected(
    tmp_path: Path, conn: sqlite3.Connection, site_key: SiteKey, trusted: Trusted
) -> None:
    before = seeded(tmp_path, conn, site_key, trusted)
    records = [
        payment("1001", "P2", amount="12.5"),
        payment("1001", "P3", amount="12"),
        rec_with_numeric_amount(),
        payment("1001", "P5", amount="1.005"),
    ]
    report = rejected(
        conn, write_package(tmp_path / "2.zip", site_key, 2, records), trusted, before
    )
    lines = report.splitlines()
    assert [entry.split(":")[0] for entry in lines] == ["line 1", "line 2", "line 3", "line 4"]
    assert all("amount" in entry for entry in lines)


def rec_with_numeric_amount() -> dict:
    record = payment("1001", "P4")
    record["data"]["amount"] = 12.50
    return record


def test_bad_tariff_price_is_rejected(
    tmp_path: Path, conn: sqlite3.Connection, site_key: SiteKey, trusted: Trusted
) -> None:
    before = seeded(tmp_path, conn, site_key, trusted)
    pkg = write_package(tmp_path / "2.zip", site_key, 2, [tariff("T2", {"monthly_fee": "99"})])
    assert "line 1: tariff.upserted: prices.monthly_fee" in rejected(conn, pkg, trusted, before)


@pytest.mark.parametrize(
    ("mangle", "reason"),
    [
        (lambda r: r.update(id="not-a-uuid"), "id must be a uuid4"),
        (lambda r: r.update(id="6ba7b810-9dad-11d1-80b4-00c04fd430c8"), "id must be a uuid4"),
        (lambda r: r.update(type="payment.held"), "unknown record type"),
        (lambda r: r.update(at="yesterday"), "at: not an RFC 3339"),
        (lambda r: r.update(at="2026-11-24T10:00:00+03:00"), "must be UTC"),
        (lambda r: r["data"].update(contract=1001), "contract must be a string"),
        (lambda r: r["data"].update(contract="9999"), "unknown contract '9999'"),
        (lambda r: r["data"].update(channel="cash"), "channel must be one of"),
        (lambda r: r["data"].update(amount="-5.00"), "amount must be positive"),
        (lambda r: r.pop("data"), "missing field 'data'"),
    ],
)
def test_invalid_record_fields_reject_the_whole_package(
    tmp_path: Path,
    conn: sqlite3.Connection,
    site_key: SiteKey,
    trusted: Trusted,
    mangle,
    reason: str,
) -> None:
    before = seeded(tmp_path, conn, site_key, trusted)
    bad = payment("1001", "P7")
    mangle(bad)
    pkg = write_package(tmp_path / "2.zip", site_key, 2, [payment("1001", "P6"), bad])
    report = rejected(conn, pkg, trusted, before)
    assert report.startswith("line 2: ")
    assert reason in report


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"\n", "line 2: blank line"),
        (b"{not json}\n", "line 2: invalid JSON"),
        (b"[1, 2]\n", "line 2: a record must be a JSON object"),
        (b"\xff\xfe\n", "line 2: not UTF-8"),
    ],
)
def test_malformed_lines_are_reported_by_number(
    tmp_path: Path,
    conn: sqlite3.Connection,
    site_key: SiteKey,
    trusted: Trusted,
    body: bytes,
    reason: str,
) -> None:
    before = seeded(tmp_path, conn, site_key, trusted)
    pkg = write_package(tmp_path / "2.zip", site_key, 2, [payment("1001", "P2"), body])
    assert reason in rejected(conn, pkg, trusted, before)


def test_last_line_without_newline_is_rejected(
    tmp_path: Path, conn: sqlite3.Connection, site_key: SiteKey, trusted: Trusted
) -> None:
    from billingsim.tests.sitepkg import line

    before = seeded(tmp_path, conn, site_key, trusted)
    unterminated = line(payment("1001", "P2")).rstrip(b"\n")
    pkg = write_package(tmp_path / "2.zip", site_key, 2, [unterminated])
    assert "line 1: line does not end with" in rejected(conn, pkg, trusted, before)


def test_crlf_line_ends_are_rejected(
    tmp_path: Path, conn: sqlite3.Connection, site_key: SiteKey, trusted: Trusted
) -> None:
    from billingsim.tests.sitepkg import line

    before = seeded(tmp_path, conn, site_key, trusted)
    crlf = line(payment("1001", "P2")).replace(b"\n", b"\r\n")
    pkg = write_package(tmp_path / "2.zip", site_key, 2, [crlf])
    assert "line 1:" in rejected(conn, pkg, trusted, before)


def test_client_upserted_earlier_in_the_same_package_counts_as_known(
    tmp_path: Path, conn: sqlite3.Connection, site_key: SiteKey, trusted: Trusted
) -> None:
    pkg = write_package(tmp_path / "1.zip", site_key, 1, [client("3003"), payment("3003")])
    assert import_package(conn, pkg, trusted).applied == 2


def test_integer_ids_from_the_website_are_accepted(
    tmp_path: Path, conn: sqlite3.Connection, site_key: SiteKey, trusted: Trusted
) -> None:
    sub = subscription()
    sub["data"]["subscription_id"] = 42
    pay = payment()
    pay["data"]["payment_id"] = 7
    pkg = write_package(tmp_path / "1.zip", site_key, 1, [client(), sub, pay])
    assert import_package(conn, pkg, trusted).applied == 3

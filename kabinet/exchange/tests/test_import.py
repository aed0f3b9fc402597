from __future__ import annotations

import json
import zipfile
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kabinet.accounts.models import ClientStatus
from kabinet.audit.models import AuditEntry
from kabinet.exchange.models import (
    BalanceSnapshot,
    BillingDocument,
    Charge,
    ExchangePackage,
    UsageSummary,
)
from kabinet.subscriptions.models import SubscriptionStatus

from .helpers import EMPTY_STATE, billing_state, import_bytes
from .peer import patch_central_size

pytestmark = pytest.mark.django_db


def full_records(peer):  # type: ignore[no-untyped-def]
    return [
        peer.snapshot("100001", "-1500.00", "2026-11-01T00:00:00Z"),
        peer.charge("100001", "C-1", "490.00"),
        peer.usage("100001", "2026-10", "local", 12, 85, "0.00"),
        peer.usage("100001", "2026-10", "international", 2, 7, "133.00"),
        peer.document("100001", "D-1"),
    ]


def test_valid_package_is_applied_and_recorded(peer, company, manager):
    result = import_bytes(peer.package(full_records(peer)), actor=manager, name="b1.zip")

    assert result.outcome == "imported"
    package = result.package
    assert (package.sequence, package.status, package.record_count, package.applied_count) == (
        1,
        "imported",
        5,
        5,
    )
    assert (package.actor, package.actor_repr, package.file_name) == (
        manager,
        manager.email,
        "b1.zip",
    )
    assert len(package.sha256) == 64
    snapshot = BalanceSnapshot.objects.get()
    assert (snapshot.client, snapshot.balance) == (company, Decimal("-1500.00"))
    assert snapshot.as_of.isoformat() == "2026-11-01T00:00:00+00:00"
    charge = Charge.objects.get()
    assert (charge.charge_id, charge.amount, charge.period) == ("C-1", Decimal("490.00"), "2026-10")
    assert sorted(UsageSummary.objects.values_list("zone", "calls", "minutes", "amount")) == [
        ("international", 2, 7, Decimal("133.00")),
        ("local", 12, 85, Decimal("0.00")),
    ]
    document = BillingDocument.objects.get()
    assert (document.number, bytes(document.pdf), document.has_pdf) == (
        "INV-D-1",
        b"%PDF-1.4 peer",
        True,
    )
    assert AuditEntry.objects.filter(action="exchange.import").count() == 1


def test_empty_package_is_applied(peer, company):
    result = import_bytes(peer.package([]))

    assert (result.outcome, result.package.record_count) == ("imported", 0)


def test_same_package_twice_is_applied_once(peer, company):
    data = peer.package(full_records(peer))
    import_bytes(data)
    before = billing_state()

    result = import_bytes(data)

    assert result.outcome == "already imported"
    assert result.ok
    assert "already imported" in result.report
    assert billing_state() == before
    assert ExchangePackage.objects.count() == 1


def test_record_seen_in_an_earlier_package_is_skipped(peer, company):
    record = peer.charge("100001", "C-1", "490.00")
    snapshot = peer.snapshot("100001", "-490.00", "2026-11-01T00:00:00Z")
    import_bytes(peer.package([record, snapshot]))

    result = import_bytes(peer.package([record, snapshot, peer.charge("100001", "C-2", "10.00")]))

    assert (result.package.applied_count, result.package.skipped_count) == (1, 2)
    assert BalanceSnapshot.objects.count() == 1
    assert sorted(Charge.objects.values_list("charge_id", flat=True)) == ["C-1", "C-2"]


def test_same_record_twice_in_one_package_is_applied_once(peer, company):
    snapshot = peer.snapshot("100001", "-490.00", "2026-11-01T00:00:00Z")

    result = import_bytes(peer.package([snapshot, snapshot]))

    assert (result.package.applied_count, result.package.skipped_count) == (1, 1)
    assert BalanceSnapshot.objects.count() == 1


def test_ack_through_confirms_the_sites_packages(peer, company, manager):
    from kabinet.exchange.services import exchange_export

    first = exchange_export(actor=manager)
    second = exchange_export(actor=manager)
    third = exchange_export(actor=manager)

    import_bytes(peer.package([], ack_through=2))

    statuses = dict(
        ExchangePackage.objects.filter(direction="site-to-billing").values_list(
            "sequence", "status"
        )
    )
    assert statuses == {1: "confirmed", 2: "confirmed", 3: "exported"}
    first.refresh_from_db()
    assert first.confirmed_at is not None
    assert (second.pk, third.pk) != (None, None)


def test_billing_status_records_change_client_and_subscription_as_system(
    peer, company, public_tariff, subscribe
):
    subscription = subscribe(company, public_tariff)
    records = [
        peer.record(
            "subscription.status",
            contract="100001",
            subscription_id=str(subscription.pk),
            status="suspended",
        ),
        peer.record("client.status", contract="100001", status="suspended"),
    ]

    result = import_bytes(peer.package(records))

    assert result.outcome == "imported"
    company.refresh_from_db()
    subscription.refresh_from_db()
    assert company.status == ClientStatus.SUSPENDED
    assert subscription.status == SubscriptionStatus.SUSPENDED
    entry = AuditEntry.objects.get(action="client.suspended")
    assert (entry.actor, entry.actor_repr) == (None, "system")


def test_status_move_the_site_forbids_is_reported_not_applied(peer, company):
    company.status = ClientStatus.CLOSED
    company.save()
    records = [peer.record("client.status", contract="100001", status="active")]

    result = import_bytes(peer.package(records))

    assert result.outcome == "imported"
    assert "line 1: not applied" in result.report
    company.refresh_from_db()
    assert company.status == ClientStatus.CLOSED


def _assert_rejected(result, reason: str) -> None:  # type: ignore[no-untyped-def]
    assert result.outcome == "rejected"
    assert not result.ok
    assert reason in result.report
    package = ExchangePackage.objects.get()
    assert (package.status, package.direction) == ("rejected", "billing-to-site")
    assert reason in package.report
    assert billing_state() == EMPTY_STATE


def test_gap_in_sequence_is_rejected_naming_the_missing_one(peer, company):
    result = import_bytes(peer.package([peer.charge("100001", "C-1", "1.00")], sequence=2))

    _assert_rejected(result, "package 1 is missing")


def test_rejected_package_can_be_fixed_and_imported_with_the_same_sequence(peer, company):
    bad = peer.package([peer.charge("999999", "C-1", "1.00")], sequence=1)
    import_bytes(bad)

    result = import_bytes(peer.package([peer.charge("100001", "C-1", "1.00")], sequence=1))

    assert result.outcome == "imported"
    assert list(ExchangePackage.objects.order_by("id").values_list("status", flat=True)) == [
        "rejected",
        "imported",
    ]


def test_bad_record_rejects_the_whole_package_naming_its_line(peer, company):
    records = full_records(peer)
    records[2]["data"]["calls"] = "twelve"

    result = import_bytes(peer.package(records))

    _assert_rejected(result, "line 3: usage.summary: calls must be a non-negative integer")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"type": "balance.wiped"}, "line 2: unknown record type 'balance.wiped'"),
        ({"id": "not-a-uuid"}, "line 2: id 'not-a-uuid' is not a UUID"),
        ({"at": "yesterday"}, "line 2: at must be an RFC 3339 time"),
        ({"data": {"contract": "100001"}}, "line 2: charge.posted: missing field 'charge_id'"),
    ],
)
def test_malformed_record_is_rejected(peer, company, change, reason):
    bad = {**peer.charge("100001", "C-1", "1.00"), **change}
    result = import_bytes(peer.package([peer.charge("100001", "C-0", "1.00"), bad]))

    _assert_rejected(result, reason)


@pytest.mark.parametrize("amount", ["1500", "1500.5", "1 500.00", "1500.000", "1e3", "-.50"])
def test_money_not_in_wire_format_is_rejected(peer, company, amount):
    result = import_bytes(peer.package([peer.charge("100001", "C-1", amount)]))

    _assert_rejected(result, "line 1: charge.posted: amount must be a money string")


def test_money_as_a_json_number_is_rejected(peer, company):
    record = peer.charge("100001", "C-1", "1.00")
    record["data"]["amount"] = 1500.0

    result = import_bytes(peer.package([record]))

    _assert_rejected(result, "line 1: charge.posted: amount must be a money string")


def test_unknown_contract_is_rejected(peer, company):
    result = import_bytes(
        peer.package([peer.charge("100001", "C-1", "1.00"), peer.charge("424242", "C-2", "1.00")])
    )

    _assert_rejected(result, "line 2: unknown contract '424242'")


def test_unknown_subscription_is_rejected(peer, company):
    record = peer.record(
        "subscription.status", contract="100001", subscription_id="999", status="active"
    )

    result = import_bytes(peer.package([record]))

    _assert_rejected(result, "line 1: unknown subscription '999' of contract '100001'")


def test_blank_line_and_missing_final_newline_are_rejected(peer, company):
    line = json.dumps(peer.charge("100001", "C-1", "1.00")).encode()
    body = line + b"\n\n" + line

    result = import_bytes(peer.package(records_bytes=body, manifest_overrides={"record_count": 3}))

    _assert_rejected(result, "line 2: blank line\nline 3: the last line has no newline")


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        # json's own message, whichever reader met the line first (records.parse_record reads
        # with orjson and gives what it refuses to the standard library).
        (b'{"id": broken}', "line 1: not UTF-8 JSON (Expecting value: line 1 column 8 (char 7))"),
        (b'{"id": "\xff"}', "line 1: not UTF-8 JSON ('utf-8' codec can't decode byte 0xff"),
        (b'["a list"]', "line 1: not a JSON object"),
    ],
)
def test_a_line_that_is_not_json_is_reported_with_the_json_error(peer, company, line, reason):
    good = json.dumps(peer.charge("100001", "C-0", "1.00")).encode()

    result = import_bytes(peer.package(records_bytes=good + b"\n" + line + b"\n"))

    _assert_rejected(result, reason.replace("line 1:", "line 2:"))


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        # Beyond a double (orjson refuses it; json reads infinity).
        ("1e400", "usage.summary: calls must be a non-negative integer"),
        # Beyond 64 bits (orjson reads a float, json an int): refused either way.
        ("123456789012345678901234567890", "usage.summary: calls must be a non-negative integer"),
        ("NaN", "usage.summary: calls must be a non-negative integer"),
    ],
)
def test_numbers_the_fast_reader_refuses_are_read_as_json_reads_them(peer, company, value, reason):
    record = json.dumps(peer.usage("100001", "2026-10", "local", 999_999, 85, "0.00"))
    line = record.replace("999999", value).encode()

    result = import_bytes(peer.package(records_bytes=line + b"\n"))

    _assert_rejected(result, f"line 1: {reason}")


def test_what_json_accepts_in_a_member_nobody_reads_still_applies(peer, company):
    # NaN and a lone surrogate are not JSON a fast reader takes, and the standard library
    # does: a member the site does not read does not reject the record (as before orjson).
    record = peer.charge("100001", "C-1", "490.00")
    line = json.dumps(record)[:-1] + ', "extra": [NaN, "\\ud800"]}'

    result = import_bytes(peer.package(records_bytes=line.encode() + b"\n"))

    assert result.outcome == "imported", result.report
    assert Charge.objects.get().amount == Decimal("490.00")


def test_every_bad_line_is_reported(peer, company):
    records = [peer.charge("100001", f"C-{i}", "bad") for i in range(3)]

    result = import_bytes(peer.package(records))

    assert result.report.splitlines() == [
        f'line {n}: charge.posted: amount must be a money string with two decimals, like "1500.00"'
        for n in (1, 2, 3)
    ]


def test_bad_signature_is_rejected(peer, company):
    result = import_bytes(peer.package(full_records(peer), tamper_signature=True))

    _assert_rejected(result, f"bad signature (key {peer.key_id})")


def test_bad_signature_is_one_security_line(peer, company, manager, caplog):
    import logging

    data = peer.package(full_records(peer), tamper_signature=True)
    with caplog.at_level(logging.WARNING, logger="kabinet.security"):
        import_bytes(data, actor=manager, name="billing-7.zip")
    lines = [r.getMessage() for r in caplog.records if r.name == "kabinet.security"]
    assert len(lines) == 1
    assert lines[0].startswith(
        f"event=exchange_signature_failed user={manager.pk} file=billing-7.zip sha256="
    )
    assert lines[0].endswith(f'check="bad signature (key {peer.key_id})"')


def test_unknown_key_is_rejected(peer, company):
    result = import_bytes(
        peer.package(full_records(peer), signing_key=Ed25519PrivateKey.generate())
    )

    _assert_rejected(result, "signature by unknown key")


def test_second_trusted_key_is_accepted_for_rotation(peer, company, settings, tmp_path):
    from .peer import BillingPeer

    new = BillingPeer(tmp_path / "new") if (tmp_path / "new").mkdir() is None else None
    settings.KABINET_BILLING_PUBLIC_KEYS = [str(peer.public_path), str(new.public_path)]

    result = import_bytes(new.package([peer.charge("100001", "C-1", "1.00")]))

    assert result.outcome == "imported"


def test_no_trusted_key_configured_rejects(peer, company, settings):
    settings.KABINET_BILLING_PUBLIC_KEYS = []

    result = import_bytes(peer.package(full_records(peer)))

    _assert_rejected(result, "no trusted billing key is configured")


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"direction": "site-to-billing"}, "wrong direction 'site-to-billing'"),
        ({"sender": "site"}, "wrong sender 'site'"),
        ({"format": 2}, "unsupported format 2"),
        ({"records_sha256": "0" * 64}, "records_sha256 does not match records.jsonl"),
        ({"record_count": 4}, "record_count is 4 but records.jsonl has 5 lines"),
        ({"sequence": 0}, "manifest sequence must be an integer ≥ 1"),
        ({"ack_through": "1"}, "manifest ack_through must be an integer ≥ 0"),
        ({"created_at": "today"}, "manifest created_at is not an RFC 3339 time"),
    ],
)
def test_manifest_problems_are_rejected(peer, company, overrides, reason):
    result = import_bytes(peer.package(full_records(peer), manifest_overrides=overrides))

    _assert_rejected(result, reason)


def test_ack_of_a_package_never_exported_is_rejected(peer, company):
    result = import_bytes(peer.package([], ack_through=3))

    _assert_rejected(result, "ack_through 3 acknowledges website packages that were never exported")


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"members": {"extra.txt": b"hello"}}, "unexpected member 'extra.txt'"),
        ({"members": {"signature": b"again"}}, "duplicate member 'signature'"),
        ({"skip": ("signature",)}, "missing member 'signature'"),
        ({"skip": ("records.jsonl",)}, "missing member 'records.jsonl'"),
    ],
)
def test_wrong_members_are_rejected(peer, company, kwargs, reason):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
        data = peer.package(full_records(peer), **kwargs)

    _assert_rejected(import_bytes(data), reason)


def test_not_a_zip_is_rejected(peer, company):
    _assert_rejected(import_bytes(b"PK but not really"), "not a ZIP archive")


def test_compression_bomb_is_rejected_from_the_headers(peer, company):
    body = b" " * (4 * 1024 * 1024)  # whitespace-only: compresses about 1000:1

    result = import_bytes(peer.package(records_bytes=body))

    _assert_rejected(result, "member 'records.jsonl' has a compression ratio over 200:1")


def test_member_declared_over_512_mib_is_rejected(peer, company):
    data = patch_central_size(peer.package(full_records(peer)), "records.jsonl", 512 * 2**20 + 1)

    _assert_rejected(import_bytes(data), "member 'records.jsonl' is over 512 MiB uncompressed")


def test_member_larger_than_its_header_says_is_stopped_while_streaming(peer, company):
    records = full_records(peer)
    data = peer.package(records)
    with zipfile.ZipFile(__import__("io").BytesIO(data)) as archive:
        compressed = archive.getinfo("records.jsonl").compress_size
    data = patch_central_size(data, "records.jsonl", compressed)

    result = import_bytes(data)

    # zipfile stops at the declared size; the CRC then fails: nothing past the lie is read.
    _assert_rejected(result, "damaged records.jsonl (Bad CRC-32")

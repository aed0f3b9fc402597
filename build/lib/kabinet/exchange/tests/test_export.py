from __future__ import annotations

import pytest
from django.core.management import call_command

from kabinet.accounts.services import client_update
from kabinet.exchange.models import ExchangePackage, OutboxRecord
from kabinet.exchange.outbox import client_upserted_data, outbox_record
from kabinet.exchange.services import exchange_export

from .helpers import import_bytes
from .peer import read_site_package

pytestmark = pytest.mark.django_db


def _record(company, name: str) -> OutboxRecord:  # type: ignore[no-untyped-def]
    from django.db import transaction

    company.name = name
    with transaction.atomic():
        return outbox_record(type="client.upserted", data=client_upserted_data(company))


def test_export_writes_unexported_records_in_order_with_next_sequence(
    peer, site_key, company, manager
):
    OutboxRecord.objects.update(package_sequence=0)  # whatever the fixtures recorded
    first = _record(company, "Первое")
    second = _record(company, "Второе")

    package = exchange_export(actor=manager)

    manifest, records = read_site_package(package.file.read(), site_key.public_key())
    assert (manifest["sequence"], manifest["direction"], manifest["sender"]) == (
        1,
        "site-to-billing",
        "site",
    )
    assert (manifest["ack_through"], manifest["record_count"], manifest["format"]) == (0, 2, 1)
    assert [r["id"] for r in records] == [str(first.record_id), str(second.record_id)]
    assert [r["data"]["name"] for r in records] == ["Первое", "Второе"]
    assert set(
        OutboxRecord.objects.filter(pk__in=[first.pk, second.pk]).values_list(
            "package_sequence", flat=True
        )
    ) == {1}
    assert (package.status, package.record_count, package.actor_repr) == (
        "exported",
        2,
        manager.email,
    )


def test_next_export_carries_only_new_records_and_billings_ack(peer, site_key, company):
    exchange_export(actor=None)
    import_bytes(
        peer.package([peer.snapshot("100001", "0.00", "2026-11-01T00:00:00Z")], ack_through=1)
    )
    third = _record(company, "Третье")

    package = exchange_export(actor=None)

    manifest, records = read_site_package(package.file.read(), site_key.public_key())
    assert (manifest["sequence"], manifest["ack_through"]) == (2, 1)
    assert [r["id"] for r in records] == [str(third.record_id)]


def test_empty_export_is_allowed(peer, site_key):
    exchange_export(actor=None)

    package = exchange_export(actor=None)

    manifest, records = read_site_package(package.file.read(), site_key.public_key())
    assert (manifest["sequence"], manifest["record_count"], records) == (2, 0, [])


def test_exported_package_downloads_byte_for_byte(peer, site_key, company, as_manager, manager):
    client_update(actor=manager, client=company, data={"name": "ООО «Новое имя»"})
    package = exchange_export(actor=manager)
    original = package.file.read()

    response = as_manager.get(f"/manager/exchange/packages/{package.pk}/download/")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == original
    assert response["Content-Disposition"] == 'attachment; filename="site-to-billing-000001.zip"'
    assert __import__("hashlib").sha256(original).hexdigest() == package.sha256


def test_export_command_prints_path_and_sequence(peer, site_key, tmp_path, capsys):
    out = tmp_path / "out.zip"

    call_command("exchange", "export", "--out", str(out))

    assert capsys.readouterr().out.strip() == f"{out} sequence 1 records 0"
    package = ExchangePackage.objects.get()
    assert out.read_bytes() == package.file.read()
    assert package.actor_repr == "system"


def test_import_command_exits_1_with_report_on_rejection(peer, company, tmp_path, capsys):
    bad = tmp_path / "bad.zip"
    bad.write_bytes(peer.package([peer.charge("424242", "C-1", "1.00")]))

    with pytest.raises(SystemExit) as exit_info:
        call_command("exchange", "import", str(bad))

    assert exit_info.value.code == 1
    assert capsys.readouterr().err == (
        "package bad.zip rejected:\nline 1: unknown contract '424242'\n"
    )


def test_import_command_exits_0_when_applied_or_already_imported(peer, company, tmp_path, capsys):
    good = tmp_path / "good.zip"
    good.write_bytes(peer.package([peer.charge("100001", "C-1", "1.00")]))

    call_command("exchange", "import", str(good))
    call_command("exchange", "import", str(good))

    out = capsys.readouterr().out
    assert "good.zip: imported (sequence 1)" in out
    assert "good.zip: already imported (sequence 1)" in out

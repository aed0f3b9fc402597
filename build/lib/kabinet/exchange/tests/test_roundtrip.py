"""Website → billingsim → website: the stand-in billing program, driven through its CLI."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone

from billingsim.cli import main as billingsim
from kabinet.exchange.models import BillingDocument, ExchangePackage, UsageSummary
from kabinet.exchange.outbox import client_upserted_data, outbox_record
from kabinet.exchange.selectors import client_balance
from kabinet.exchange.services import exchange_export

from .helpers import import_bytes
from .peer import stamp, write_key_pair

pytestmark = pytest.mark.django_db


@pytest.fixture
def sim(tmp_path, settings, site_key):  # type: ignore[no-untyped-def]
    _key, site_private, site_public = write_key_pair(tmp_path, "rt-site")
    settings.KABINET_SITE_PRIVATE_KEY = str(site_private)
    _bkey, billing_private, billing_public = write_key_pair(tmp_path, "rt-billing")
    settings.KABINET_BILLING_PUBLIC_KEYS = [str(billing_public)]
    settings.MEDIA_ROOT = str(tmp_path / "media")
    base = [
        "--home",
        str(tmp_path / "billingsim"),
        "--key",
        str(billing_private),
        "--trust",
        str(site_public),
    ]

    def run(*args: str) -> int:
        return billingsim([*base, *args])

    return run


def _site_changes(company, public_tariff, subscription) -> None:  # type: ignore[no-untyped-def]
    with transaction.atomic():
        outbox_record(type="client.upserted", data=client_upserted_data(company))
        outbox_record(
            type="tariff.upserted",
            data={
                "tariff_code": public_tariff.code,
                "service_code": public_tariff.service.code,
                "name": public_tariff.name,
                "visibility": "public",
                "effective_from": "2025-01-01",
                "prices": {"monthly_fee": "490.00", "per_minute_international": "19.00"},
            },
        )
        outbox_record(
            type="subscription.upserted",
            data={
                "contract": company.contract_number,
                "subscription_id": str(subscription.pk),
                "service_code": subscription.service.code,
                "tariff_code": public_tariff.code,
                "status": "active",
                "parameters": {},
            },
        )
        outbox_record(
            type="payment.captured",
            data={
                "contract": company.contract_number,
                "payment_id": "P-1",
                "amount": "3000.00",
                "channel": "card",
                "captured_at": "2026-10-05T12:00:00Z",
            },
        )


def test_round_trip_through_billingsim_gives_matching_balances(
    sim, company, public_tariff, subscribe, tmp_path, capsys
):
    subscription = subscribe(company, public_tariff)
    _site_changes(company, public_tariff, subscription)
    site_package = exchange_export(actor=None)

    assert sim("import", site_package.file.path) == 0
    assert sim("bill", "--period", "2026-09", "--seed", "7") == 0
    assert sim("bill", "--period", "2026-10", "--seed", "7") == 0
    billing_file = tmp_path / "b1.zip"
    assert sim("export", "--out", str(billing_file)) == 0
    capsys.readouterr()
    result = import_bytes(billing_file.read_bytes())

    assert result.outcome == "imported", result.report
    assert sim("status", "--contract", "100001", "--json") == 0
    status = json.loads(capsys.readouterr().out)
    billing_balance = Decimal(status["clients"][0]["balance"])
    assert client_balance(company).amount == billing_balance
    assert billing_balance == Decimal("3000.00") - Decimal(status["clients"][0]["charges"])
    assert ExchangePackage.objects.get(direction="site-to-billing").status == "confirmed"
    assert set(UsageSummary.objects.values_list("period", flat=True)) == {"2026-09", "2026-10"}
    assert BillingDocument.objects.filter(client=company, has_pdf=True).count() == 4
    assert bytes(BillingDocument.objects.first().pdf).startswith(b"%PDF")


def test_payment_after_the_snapshot_counts_once(
    sim, company, public_tariff, subscribe, tmp_path, capsys
):
    subscription = subscribe(company, public_tariff)
    _site_changes(company, public_tariff, subscription)
    assert sim("import", exchange_export(actor=None).file.path) == 0
    assert sim("bill", "--period", "2026-10", "--seed", "1") == 0
    assert sim("export", "--out", str(tmp_path / "b1.zip")) == 0
    import_bytes((tmp_path / "b1.zip").read_bytes())
    with transaction.atomic():
        outbox_record(
            type="payment.captured",
            data={
                "contract": "100001",
                "payment_id": "P-2",
                "amount": "100.00",
                "channel": "terminal",
                "captured_at": stamp(timezone.now()),
            },
        )
    shown_before = client_balance(company).amount

    assert sim("import", exchange_export(actor=None).file.path) == 0
    assert sim("export", "--out", str(tmp_path / "b2.zip")) == 0
    import_bytes((tmp_path / "b2.zip").read_bytes())
    capsys.readouterr()
    assert sim("status", "--contract", "100001", "--json") == 0
    billing = Decimal(json.loads(capsys.readouterr().out)["clients"][0]["balance"])

    # Before billing heard of P-2 the site added it; after, billing's snapshot holds it.
    assert client_balance(company).amount == shown_before == billing
    assert Path(tmp_path / "b2.zip").exists()

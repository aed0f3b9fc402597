"""Invoices the website sends, and money billing receives itself (payment.received)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from billingsim.cli import main
from billingsim.keys import load_private_key
from billingsim.tests.helpers import read_billing_package
from billingsim.tests.sitepkg import SiteKey, client, payment, rec, write_package


def invoice(number: str = "2026-00001", amount: str = "2400.00") -> dict:
    return rec(
        "invoice.issued",
        {
            "contract": "1001",
            "invoice_id": "0b7c1f4e-9d4a-4a57-9a61-2f0d3c4e5a6b",
            "number": number,
            "date": "2026-12-04",
            "amount": amount,
            "purpose": "Оплата по счёту № 2026-00001",
        },
    )


@pytest.fixture
def env(tmp_path: Path, site_key: SiteKey, monkeypatch: pytest.MonkeyPatch) -> Path:
    assert main(["keys", "generate", "--out", str(tmp_path / "keys"), "--name", "billing"]) == 0
    monkeypatch.setenv("BILLINGSIM_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("BILLINGSIM_PRIVATE_KEY", str(tmp_path / "keys" / "billing.pem"))
    monkeypatch.setenv("BILLINGSIM_SITE_PUBLIC_KEYS", str(site_key.public_path))
    return tmp_path


def _export(env: Path, name: str) -> list[dict]:
    assert main(["export", "--out", str(env / name)]) == 0
    key = load_private_key(env / "keys" / "billing.pem").public_key()
    _manifest, records, _raw = read_billing_package(env / name, key)
    return records


def test_a_paid_invoice_goes_back_as_payment_received_and_counts_once(
    env: Path, site_key: SiteKey, capsys: pytest.CaptureFixture[str]
) -> None:
    package = write_package(env / "s1.zip", site_key, 1, [client(), payment(), invoice()])
    assert main(["import", str(package)]) == 0
    first = _export(env, "b1.zip")
    snapshot = next(r for r in first if r["type"] == "balance.snapshot")
    assert snapshot["data"]["balance"] == "1500.00"

    assert main(["pay-invoice", "2026-00001", "--reference", "417"]) == 0
    assert "received 2400.00 RUB for contract 1001" in capsys.readouterr().out
    # The same invoice cannot be paid twice; an unknown one is refused.
    assert main(["pay-invoice", "2026-00001"]) == 1
    assert "was paid before" in capsys.readouterr().err
    assert main(["pay-invoice", "1999-00001"]) == 1

    second = _export(env, "b2.zip")
    received = [r for r in second if r["type"] == "payment.received"]
    assert len(received) == 1
    data = received[0]["data"]
    assert (data["contract"], data["amount"], data["channel"], data["reference"]) == (
        "1001",
        "2400.00",
        "bank",
        "417",
    )
    # The snapshot of this export is as of the website's package, before the money came:
    # it does not include it (the website adds it), so nothing is counted twice.
    snapshots = [r for r in second if r["type"] == "balance.snapshot"]
    for s in snapshots:
        included = s["data"]["as_of"] >= data["received_at"]
        expected = "3900.00" if included else "1500.00"
        assert s["data"]["balance"] == expected
    capsys.readouterr()
    assert main(["status", "--json", "--contract", "1001"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["clients"][0]["received"] == "2400.00"
    assert status["clients"][0]["balance"] == "3900.00"


def test_receive_refuses_bad_input(env: Path, site_key: SiteKey) -> None:
    package = write_package(env / "s1.zip", site_key, 1, [client()])
    assert main(["import", str(package)]) == 0
    assert main(["receive", "--contract", "9999", "--amount", "10.00"]) == 1
    assert main(["receive", "--contract", "1001", "--amount", "-5"]) == 1
    assert main(["receive", "--contract", "1001", "--amount", "1.001"]) == 1
    assert main(["receive", "--contract", "1001", "--amount", "abc"]) == 2
    assert main(["receive", "--contract", "1001", "--amount", "10.00", "--channel", "cash"]) == 0


def test_an_invoice_for_an_unknown_contract_rejects_the_package(
    env: Path, site_key: SiteKey, capsys: pytest.CaptureFixture[str]
) -> None:
    package = write_package(env / "s1.zip", site_key, 1, [invoice()])
    assert main(["import", str(package)]) == 1
    assert "invoice.issued: unknown contract '1001'" in capsys.readouterr().err

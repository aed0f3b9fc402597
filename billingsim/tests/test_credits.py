"""Promised payments the website grants (credit.promised) and ends (credit.ended)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from billingsim.cli import main
from billingsim.tests.sitepkg import SiteKey, client, rec, write_package

CREDIT = "6f1c2a4e-8b3d-4c5e-9f70-1a2b3c4d5e6f"


def promised(amount: str = "490.00", contract: str = "1001") -> dict:
    return rec(
        "credit.promised",
        {
            "contract": contract,
            "credit_id": CREDIT,
            "amount": amount,
            "granted_at": "2026-12-04T09:00:00Z",
            "valid_until": "2026-12-09T09:00:00Z",
        },
    )


def ended(reason: str = "paid") -> dict:
    return rec(
        "credit.ended",
        {
            "contract": "1001",
            "credit_id": CREDIT,
            "ended_at": "2026-12-05T10:00:00Z",
            "reason": reason,
        },
    )


@pytest.fixture
def env(tmp_path: Path, site_key: SiteKey, monkeypatch: pytest.MonkeyPatch) -> Path:
    assert main(["keys", "generate", "--out", str(tmp_path / "keys"), "--name", "billing"]) == 0
    monkeypatch.setenv("BILLINGSIM_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("BILLINGSIM_PRIVATE_KEY", str(tmp_path / "keys" / "billing.pem"))
    monkeypatch.setenv("BILLINGSIM_SITE_PUBLIC_KEYS", str(site_key.public_path))
    return tmp_path


def _status(capsys: pytest.CaptureFixture[str]) -> dict:
    capsys.readouterr()
    assert main(["status", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_a_credit_is_open_until_it_ends(
    env: Path, site_key: SiteKey, capsys: pytest.CaptureFixture[str]
) -> None:
    package = write_package(env / "s1.zip", site_key, 1, [client(), promised()])
    assert main(["import", str(package)]) == 0
    assert _status(capsys)["clients"][0]["open_credit"] == "490.00"
    package = write_package(env / "s2.zip", site_key, 2, [ended("paid"), ended("revoked")])
    assert main(["import", str(package)]) == 0
    assert _status(capsys)["clients"][0]["open_credit"] == "0.00"


@pytest.mark.parametrize(
    "record",
    [
        promised(amount="0.00"),
        promised(amount="-5.00"),
        promised(contract="9999"),
        ended(reason="forgotten"),
    ],
)
def test_a_bad_credit_record_rejects_the_package(
    env: Path, site_key: SiteKey, record: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    package = write_package(env / "s1.zip", site_key, 1, [client(), record])
    assert main(["import", str(package)]) != 0
    assert "line 2" in capsys.readouterr().err

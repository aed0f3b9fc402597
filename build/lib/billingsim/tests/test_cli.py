from __future__ import annotations

import json
from pathlib import Path

import pytest

from billingsim.cli import main
from billingsim.keys import key_id, load_private_key
from billingsim.tests.sitepkg import (
    SiteKey,
    client,
    payment,
    subscription,
    tariff,
    write_package,
)


@pytest.fixture
def env(tmp_path: Path, site_key: SiteKey, monkeypatch: pytest.MonkeyPatch) -> Path:
    assert main(["keys", "generate", "--out", str(tmp_path / "keys"), "--name", "billing"]) == 0
    monkeypatch.setenv("BILLINGSIM_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("BILLINGSIM_PRIVATE_KEY", str(tmp_path / "keys" / "billing.pem"))
    monkeypatch.setenv("BILLINGSIM_SITE_PUBLIC_KEYS", str(site_key.public_path))
    return tmp_path


def test_keys_generate_prints_the_key_id_and_keeps_existing_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "k"
    assert main(["keys", "generate", "--out", str(out), "--name", "billing"]) == 0
    first = capsys.readouterr().out.strip()
    key = load_private_key(out / "billing.pem")
    assert first == key_id(key.public_key()) and len(first) == 16
    assert (out / "billing.pem").stat().st_mode & 0o077 == 0
    assert b"BEGIN PUBLIC KEY" in (out / "billing.pub.pem").read_bytes()
    assert main(["keys", "generate", "--out", str(out), "--name", "billing"]) == 0
    assert capsys.readouterr().out.strip() == first
    assert main(["keys", "generate", "--out", str(out), "--name", "billing", "--force"]) == 0
    assert capsys.readouterr().out.strip() != first


def test_full_round_trip_through_the_command_line(
    env: Path, site_key: SiteKey, capsys: pytest.CaptureFixture[str]
) -> None:
    records = [tariff(), client(), subscription(), payment()]
    pkg = write_package(env / "s1.zip", site_key, 1, records)
    assert main(["import", str(pkg)]) == 0
    assert "applied site-to-billing package 1" in capsys.readouterr().out
    assert main(["import", str(pkg)]) == 0
    assert "already imported" in capsys.readouterr().out
    assert main(["bill", "--period", "2026-11", "--seed", "3"]) == 0
    assert main(["export", "--out", str(env / "b1.zip")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-2] == str(env / "b1.zip")
    assert out[-1].startswith("billing-to-site sequence 1:")
    assert main(["status", "--json", "--contract", "1001"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["site_sequence_imported"] == 1 and status["billing_sequence_exported"] == 1
    assert status["clients"][0]["payments"] == "1500.00"
    assert main(["download", "1", "--out", str(env / "again.zip")]) == 0
    assert (env / "again.zip").read_bytes() == (env / "b1.zip").read_bytes()


def test_rejected_import_prints_the_line_number_to_stderr_and_exits_1(
    env: Path, site_key: SiteKey, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = payment()
    bad["data"]["amount"] = "10"
    pkg = write_package(env / "s1.zip", site_key, 1, [client(), bad])
    assert main(["import", str(pkg)]) == 1
    captured = capsys.readouterr()
    assert "line 2: payment.captured: amount: money must have exactly two decimals" in (
        captured.err
    )
    assert main(["status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["clients"] == []


def test_home_and_keys_can_be_given_as_options(
    tmp_path: Path,
    site_key: SiteKey,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("BILLINGSIM_HOME", "BILLINGSIM_PRIVATE_KEY", "BILLINGSIM_SITE_PUBLIC_KEYS"):
        monkeypatch.delenv(name, raising=False)
    pkg = write_package(tmp_path / "s1.zip", site_key, 1, [client()])
    home = str(tmp_path / "h")
    assert main(["--home", home, "import", str(pkg), "--trust", str(site_key.public_path)]) == 0
    assert main(["import", str(pkg), "--home", home]) == 2  # no trusted keys anywhere
    assert "BILLINGSIM_SITE_PUBLIC_KEYS" in capsys.readouterr().err


def test_set_status_on_unknown_contract_fails(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["set-status", "--contract", "404", "--status", "suspended"]) == 1
    assert "unknown contract" in capsys.readouterr().err

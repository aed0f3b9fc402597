"""Call labelling the website approved (call_label.submitted) or withdrew
(call_label.withdrawn), and what billing answers: numbers and call_label.status."""

from __future__ import annotations

from pathlib import Path

import pytest

from billingsim.cli import main
from billingsim.keys import load_private_key
from billingsim.tests.helpers import read_billing_package
from billingsim.tests.sitepkg import SiteKey, client, rec, write_package

LABEL = "6f1c2a4e-8b3d-4c5e-9f70-1a2b3c4d5e6f"


def submitted(version: int = 1, **change: object) -> dict:
    data = {
        "contract": "1001",
        "label_id": LABEL,
        "version": version,
        "legal_name": "ООО «Балтийская логистика»",
        "brand": "",
        "category": "delivery",
        "display_text": "Балтийская логистика",
        "numbers": ["78124001001"],
        "consent_version": 1,
        "consented_at": "2026-12-04T09:00:00Z",
        "consented_by": "boss@baltlog.example",
    }
    data.update(change)
    return rec("call_label.submitted", data)


def withdrawn() -> dict:
    return rec(
        "call_label.withdrawn",
        {"contract": "1001", "label_id": LABEL, "withdrawn_at": "2026-12-05T09:00:00Z"},
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
    return read_billing_package(env / name, key)[1]


def test_a_labelling_is_imported_and_answered_for_its_newest_version(
    env: Path, site_key: SiteKey, capsys: pytest.CaptureFixture[str]
) -> None:
    package = write_package(
        env / "s1.zip", site_key, 1, [client(), submitted(1), submitted(2, display_text="БЛ")]
    )
    assert main(["import", str(package)]) == 0
    capsys.readouterr()
    assert main(["labels"]) == 0
    out = capsys.readouterr().out
    assert f"1001 {LABEL} v1" in out and f"1001 {LABEL} v2 'БЛ'" in out
    assert main(["label-status", "--label", LABEL, "--status", "active"]) == 0
    assert (
        main(
            [
                "label-status",
                "--label",
                LABEL,
                "--version",
                "1",
                "--status",
                "rejected",
                "--reason",
                "late",
            ]
        )
        == 0
    )
    statuses = [r["data"] for r in _export(env, "b1.zip") if r["type"] == "call_label.status"]
    assert [(s["version"], s["status"], s["reason"]) for s in statuses] == [
        (2, "active", ""),
        (1, "rejected", "late"),
    ]
    assert set(statuses[0]) == {"contract", "label_id", "version", "status", "reason", "as_of"}
    package = write_package(env / "s2.zip", site_key, 2, [withdrawn()])
    assert main(["import", str(package)]) == 0
    capsys.readouterr()
    assert main(["labels"]) == 0
    assert "withdrawn 2026-12-05T09:00:00Z" in capsys.readouterr().out


def test_label_status_refuses_an_unknown_label_or_version(env: Path, site_key: SiteKey) -> None:
    assert main(["import", str(write_package(env / "s1.zip", site_key, 1, [client()]))]) == 0
    assert main(["label-status", "--label", LABEL, "--status", "active"]) == 1
    package = write_package(env / "s2.zip", site_key, 2, [submitted()])
    assert main(["import", str(package)]) == 0
    assert main(["label-status", "--label", LABEL, "--version", "5", "--status", "active"]) == 1


@pytest.mark.parametrize(
    "record",
    [
        submitted(display_text="Я" * 33),
        submitted(numbers=[]),
        submitted(numbers=["+7 812 400-10-01"]),
        submitted(version=0),
        submitted(contract="9999"),
        withdrawn() | {"data": {"contract": "1001", "label_id": LABEL}},
    ],
)
def test_a_bad_labelling_record_rejects_the_package(
    env: Path, site_key: SiteKey, record: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    package = write_package(env / "s1.zip", site_key, 1, [client(), record])
    assert main(["import", str(package)]) != 0
    assert "line 2" in capsys.readouterr().err


def test_numbers_are_assigned_to_one_contract_at_a_time(
    env: Path, site_key: SiteKey, capsys: pytest.CaptureFixture[str]
) -> None:
    package = write_package(
        env / "s1.zip", site_key, 1, [client(), client(contract="1002", name="АО «Другое»")]
    )
    assert main(["import", str(package)]) == 0
    assert main(["assign-number", "--contract", "1001", "--number", "+7 812 400-10-01"]) == 0
    assert main(["assign-number", "--contract", "1002", "--number", "78124001001"]) == 1
    assert "already belongs to contract '1001'" in capsys.readouterr().err
    assert main(["release-number", "--contract", "1002", "--number", "78124001001"]) == 1
    assert main(["release-number", "--contract", "1001", "--number", "78124001001"]) == 0
    assert main(["assign-number", "--contract", "1002", "--number", "78124001001"]) == 0
    assert main(["assign-number", "--contract", "9999", "--number", "78124001009"]) == 1
    records = [r for r in _export(env, "b1.zip") if r["type"].startswith("number.")]
    assert [(r["type"], r["data"]["contract"]) for r in records] == [
        ("number.assigned", "1001"),
        ("number.released", "1001"),
        ("number.assigned", "1002"),
    ]
    assert records[0]["data"]["subscription_id"] == ""

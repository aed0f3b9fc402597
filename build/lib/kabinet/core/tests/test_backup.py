"""Backup and restore (README "Backup and restore"): the SQLite demo database round trip."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def manage(tmp_path: Path, database: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE"}},
        "DATABASE_URL": f"sqlite:///{database}",
        "KABINET_VAR_DIR": str(tmp_path / "var"),
        "KABINET_TASKS_BACKEND": "immediate",
        "EMAIL_HOST": "",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def payments(database: Path) -> list[tuple[str, Decimal, str]]:
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT id, amount, status FROM payments_payment ORDER BY id").fetchall()
    return [
        (pk, Decimal(str(amount)).quantize(Decimal("0.01")), status) for pk, amount, status in rows
    ]


def ledger_totals(database: Path) -> dict[tuple[int, str], Decimal]:
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT client_id, kind, amount FROM payments_ledgerentry").fetchall()
    totals: dict[tuple[int, str], Decimal] = {}
    for client_id, kind, amount in rows:
        key = (client_id, kind)
        totals[key] = totals.get(key, Decimal("0")) + Decimal(str(amount))
    return totals


def test_demo_database_backed_up_and_restored_keeps_every_payment(tmp_path):
    live = tmp_path / "live.sqlite3"
    manage(tmp_path, live, "migrate", "--noinput", "-v0")
    manage(tmp_path, live, "seed_demo")
    before = payments(live)
    assert len(before) >= 10  # the demo's payment history
    totals = ledger_totals(live)
    assert totals

    backup = tmp_path / "backups" / "kabinet-2026-12-01.sqlite3"
    out = manage(tmp_path, live, "backup", "--out", str(backup))
    assert f"backup written to {backup}" in out.stdout
    assert not Path(f"{backup}-wal").exists()

    restored = tmp_path / "restored.sqlite3"
    manage(tmp_path, restored, "restore", str(backup), "--yes")

    assert payments(restored) == before
    assert ledger_totals(restored) == totals
    # The restored database is a working Kabinet database: migrations are all applied.
    check = manage(tmp_path, restored, "migrate", "--check", "--noinput")
    assert check.returncode == 0


def test_backup_refuses_to_overwrite_a_file(tmp_path):
    live = tmp_path / "live.sqlite3"
    existing = tmp_path / "old.sqlite3"
    existing.write_bytes(b"keep me")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{live}",
        "KABINET_VAR_DIR": str(tmp_path / "var"),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "backup", "--out", str(existing)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "exists already" in result.stderr
    assert existing.read_bytes() == b"keep me"

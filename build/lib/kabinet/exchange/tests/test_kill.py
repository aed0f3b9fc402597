"""An import killed mid-way leaves the database as it was; importing again applies it once.

The import really runs in another process (``manage.py exchange import``) and really gets
SIGKILL while it is applying records: on SQLite against a migrated file database, on
PostgreSQL against the test database.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from kabinet.exchange.models import Charge, ExchangePackage, ImportedRecord

ROOT = Path(settings.BASE_DIR)
RECORDS = 60_000


def _manage(env: dict[str, str], *args: str, **kwargs) -> subprocess.Popen:  # type: ignore[no-untyped-def]
    return subprocess.Popen(
        [sys.executable, "-u", "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def _run(env: dict[str, str], *args: str) -> str:
    process = _manage(env, *args)
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    return out


def _postgres_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_import_killed_mid_way_changes_nothing_and_reimport_applies_once(
    peer, tmp_path, make_client
):
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "KABINET_VAR_DIR": str(tmp_path / "var"),
        "KABINET_BILLING_PUBLIC_KEYS": str(peer.public_path),
        "KABINET_TASKS_BACKEND": "immediate",
    }
    if connection.vendor == "sqlite":
        database = tmp_path / "kill.sqlite3"
        env["DATABASE_URL"] = f"sqlite:///{database}"
        _run(env, "migrate", "-v0")
        _run(
            env,
            "shell",
            "-c",
            "from kabinet.accounts.models import Client; "
            "Client.objects.create(contract_number='100001', name='K', inn='7801234567')",
        )

        def counts() -> tuple[int, int, int]:
            with sqlite3.connect(database) as db:
                return tuple(  # type: ignore[return-value]
                    db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                    for table in (
                        "exchange_charge",
                        "exchange_importedrecord",
                        "exchange_exchangepackage",
                    )
                )
    else:
        make_client("100001")
        env["DATABASE_URL"] = _postgres_url()

        def counts() -> tuple[int, int, int]:
            return (
                Charge.objects.count(),
                ImportedRecord.objects.count(),
                ExchangePackage.objects.count(),
            )

    package = tmp_path / "big.zip"
    package.write_bytes(
        peer.package(peer.charge("100001", f"C-{i}", "1.00") for i in range(RECORDS))
    )

    process = _manage(env, "exchange", "-v", "2", "import", str(package))
    assert process.stdout is not None
    seen = []
    for line in process.stdout:
        seen.append(line)
        if line.startswith("applying: "):  # inside the transaction, records already written
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, "".join(seen) + process.stderr.read()
    assert counts() == (0, 0, 0)

    out = _run(env, "exchange", "import", str(package))
    again = _run(env, "exchange", "import", str(package))

    assert f"big.zip: imported (sequence 1)\napplied {RECORDS} records" in out
    assert "already imported" in again
    assert counts() == (RECORDS, RECORDS, 1)

"""Backing up and restoring the database: SQLite through its online backup API (safe while
the site runs), PostgreSQL through ``pg_dump -Fc`` / ``pg_restore``."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

from django.db import connection


class BackupError(Exception):
    pass


def _sqlite_copy(source: str | Path, target: str | Path) -> None:
    """Page-by-page copy that sees one consistent state even with writers on the source."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(str(target), timeout=30)
        try:
            src.backup(dst)
            result = dst.execute("PRAGMA integrity_check").fetchone()[0]
            if result != "ok":
                raise BackupError(f"the copy fails SQLite's integrity check: {result}")
            # A self-contained file: no -wal/-shm beside it.
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
    finally:
        src.close()


def _pg_env() -> dict[str, str]:
    settings = connection.settings_dict
    env = dict(os.environ)
    for key, name in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
    ):
        if settings.get(key):
            env[name] = str(settings[key])
    return env


def _run(command: list[str]) -> None:
    result = subprocess.run(command, env=_pg_env(), capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()}")


def database_backup(*, out: Path) -> Path:
    """Write a backup of the configured database to ``out`` (which must not exist yet)."""
    out = Path(out)
    if out.exists():
        raise BackupError(f"{out} exists already; give a new file name")
    out.parent.mkdir(parents=True, exist_ok=True)
    if connection.vendor == "sqlite":
        _sqlite_copy(connection.settings_dict["NAME"], out)
    elif connection.vendor == "postgresql":
        _run(["pg_dump", "-Fc", "--no-owner", "-f", str(out), connection.settings_dict["NAME"]])
    else:  # pragma: no cover - only the two supported databases
        raise BackupError(f"no backup procedure for {connection.vendor}")
    return out


def database_restore(*, source: Path) -> None:
    """Replace the configured database's content with the backup in ``source``.

    Stop the site, the task worker and the scheduler first: a restore replaces everything.
    """
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"{source} is not a file")
    connection.close()
    if connection.vendor == "sqlite":
        check = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            check.execute("SELECT count(*) FROM django_migrations").fetchone()
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{source} is not a Kabinet SQLite backup ({exc})") from exc
        finally:
            check.close()
        _sqlite_copy(source, connection.settings_dict["NAME"])
    elif connection.vendor == "postgresql":
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "-d",
                connection.settings_dict["NAME"],
                str(source),
            ]
        )
    else:  # pragma: no cover
        raise BackupError(f"no restore procedure for {connection.vendor}")

"""`billingsim export`: the next billing-to-site package, kept under home for re-download."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from billingsim import db, outbox
from billingsim.clock import format_utc, now_utc, parse_rfc3339
from billingsim.keys import sign
from billingsim.manifest import BILLING_TO_SITE, FORMAT, SENDERS, Manifest
from billingsim.money import format_cents
from billingsim.package import dump_manifest, write_package

_ORDER_SQL = (
    "CASE type "
    + " ".join(f"WHEN '{name}' THEN {rank}" for name, rank in outbox.EXPORT_RANK.items())
    + " END"
)


# The spec's limit on a member's uncompressed size: records beyond it wait for the next package
# (a month of call details of a large operator fills many).
MAX_RECORDS_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class ExportResult:
    sequence: int
    path: Path
    record_count: int
    ack_through: int
    copied_to: Path | None
    pending: int = 0


def package_name(sequence: int) -> str:
    return f"{BILLING_TO_SITE}-{sequence:06d}.zip"


def export_package(
    conn: sqlite3.Connection,
    home: Path,
    private_key: Ed25519PrivateKey,
    out: Path | None,
    max_bytes: int = MAX_RECORDS_BYTES,
) -> ExportResult:
    outgoing = db.outgoing_dir(home)
    outgoing.mkdir(parents=True, exist_ok=True)
    conn.execute("BEGIN IMMEDIATE")
    tmp_records = tmp_zip = None
    try:
        sequence = db.last_billing_sequence(conn) + 1
        ack_through = db.last_site_sequence(conn)
        created = now_utc()
        _queue_snapshots(conn, created, first_export=sequence == 1)
        tmp_records = outgoing / f".{sequence:06d}.records.tmp"
        count, records_sha, last = _write_records(conn, tmp_records, max_bytes)
        manifest = Manifest(
            format=FORMAT,
            direction=BILLING_TO_SITE,
            sender=SENDERS[BILLING_TO_SITE],
            sequence=sequence,
            created_at=format_utc(created),
            ack_through=ack_through,
            record_count=count,
            records_sha256=records_sha,
        )
        manifest_bytes = dump_manifest(manifest.as_json())
        tmp_zip = outgoing / f".{sequence:06d}.zip.tmp"
        # ZIP entry times are the manifest's created_at, so the bytes depend on content only.
        stamp = (
            created.year,
            created.month,
            created.day,
            created.hour,
            created.minute,
            created.second,
        )
        signature = sign(private_key, manifest_bytes)
        write_package(tmp_zip, manifest_bytes, tmp_records, signature, stamp)
        final = outgoing / package_name(sequence)
        if last is None:
            conn.execute(
                "UPDATE outbox SET package_sequence = ? WHERE package_sequence IS NULL",
                (sequence,),
            )
        else:
            # Only what was written, in export order; the rest waits for the next package.
            conn.execute(
                "UPDATE outbox SET package_sequence = ? WHERE package_sequence IS NULL "  # noqa: S608 (constants only)
                f"AND ({_ORDER_SQL} < ? OR ({_ORDER_SQL} = ? AND seq <= ?))",
                (sequence, last[0], last[0], last[1]),
            )
        pending = outbox.pending_count(conn)
        conn.execute(
            "INSERT INTO billing_packages VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                sequence,
                manifest.created_at,
                ack_through,
                count,
                records_sha,
                _sha256_file(tmp_zip),
                final.name,
            ),
        )
        # The file appears under its real name only once the database agrees it exists;
        # if the commit then fails, the next export simply rewrites that name.
        os.replace(tmp_zip, final)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        for tmp in (tmp_records, tmp_zip):
            if tmp is not None and tmp.exists():
                tmp.unlink()
    copied = None
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(final, out)
        copied = out
    return ExportResult(sequence, final, count, ack_through, copied, pending)


def _queue_snapshots(conn: sqlite3.Connection, created: datetime, first_export: bool) -> None:
    """balance.snapshot for every client whose balance changed (all of them the first time).

    as_of is the created_at of the newest website package applied: every payment
    the website captured before that moment is inside this balance, so the
    website's "snapshot + own payments captured after as_of" counts each payment
    exactly once. It is nudged forward so a client's snapshots never share an as_of.
    """
    site_row = conn.execute(
        "SELECT created_at FROM site_packages ORDER BY sequence DESC LIMIT 1"
    ).fetchone()
    base = parse_rfc3339(site_row[0]).replace(microsecond=0) if site_row else created
    clients = conn.execute(
        "SELECT contract, last_snapshot_as_of FROM clients "
        "WHERE balance_dirty = 1 OR ? ORDER BY contract",
        (first_export,),
    ).fetchall()
    for client in clients:
        as_of = base
        if client["last_snapshot_as_of"]:
            previous = parse_rfc3339(client["last_snapshot_as_of"])
            if as_of <= previous:
                as_of = previous + timedelta(seconds=1)
        as_of_text = format_utc(as_of)
        outbox.enqueue(
            conn,
            "balance.snapshot",
            {
                "contract": client["contract"],
                "balance": format_cents(db.balance_cents(conn, client["contract"], as_of_text)),
                "as_of": as_of_text,
            },
        )
        # Money received after as_of is not in this snapshot: the client stays dirty, so a
        # later snapshot (as of a later website package) takes it in.
        later = conn.execute(
            "SELECT 1 FROM received WHERE contract = ? AND received_at > ? LIMIT 1",
            (client["contract"], as_of_text),
        ).fetchone()
        conn.execute(
            "UPDATE clients SET balance_dirty = ?, last_snapshot_as_of = ? WHERE contract = ?",
            (1 if later else 0, as_of_text, client["contract"]),
        )


def _write_records(
    conn: sqlite3.Connection, path: Path, max_bytes: int
) -> tuple[int, str, tuple[int, int] | None]:
    """Stream pending records to a file: one compact JSON object per line, '\\n' ends.

    Stops before the file would pass ``max_bytes`` (one record is always written): then it
    also returns the (rank, seq) of the last record written, else None.
    """
    digest = hashlib.sha256()
    count = 0
    size = 0
    rows = conn.execute(
        f"SELECT id, type, at, data, seq, {_ORDER_SQL} AS rank FROM outbox "  # noqa: S608 (constants only)
        f"WHERE package_sequence IS NULL ORDER BY {_ORDER_SQL}, seq"
    )
    previous: tuple[int, int] | None = None
    with path.open("wb") as handle:
        for row in rows:
            # data is stored as compact JSON already; splicing it avoids a re-parse.
            line = (
                f'{{"id":{json.dumps(row["id"])},"type":{json.dumps(row["type"])},'
                f'"at":{json.dumps(row["at"])},"data":{row["data"]}}}\n'
            ).encode()
            if count and size + len(line) > max_bytes:
                return count, digest.hexdigest(), previous
            handle.write(line)
            digest.update(line)
            size += len(line)
            count += 1
            previous = (row["rank"], row["seq"])
    return count, digest.hexdigest(), None


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def copy_package(conn: sqlite3.Connection, home: Path, sequence: int, out: Path) -> Path:
    """Re-download an exported package byte for byte, checking it was not altered."""
    row = conn.execute(
        "SELECT file_name, file_sha256 FROM billing_packages WHERE sequence = ?", (sequence,)
    ).fetchone()
    if row is None:
        raise LookupError(f"no billing-to-site package with sequence {sequence}")
    source = db.outgoing_dir(home) / row["file_name"]
    if not source.exists() or _sha256_file(source) != row["file_sha256"]:
        raise LookupError(f"{source} is missing or was altered since export")
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, out)
    return out

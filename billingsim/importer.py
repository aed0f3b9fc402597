"""`billingsim import FILE`: verify a site-to-billing package and apply it atomically.

records.jsonl is streamed twice (first to check count and SHA-256 before the
sequence is even looked at, as the contract orders; then to validate and
apply), so memory stays flat however many records a package carries.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from billingsim import db
from billingsim.clock import format_utc, now_utc
from billingsim.keys import SignatureError, verify
from billingsim.manifest import SITE_TO_BILLING, Manifest, parse_manifest
from billingsim.money import wire_to_cents
from billingsim.package import MANIFEST, RECORDS, SIGNATURE, PackageError, PackageReader
from billingsim.records import Record, RecordError, contract_of, identifier, parse_record

MAX_REPORTED_ERRORS = 100
# Per-import memo of contracts known / already marked dirty. Both facts only
# ever become true during one import, so memoising them is safe; the cap keeps
# memory flat when a package touches millions of contracts.
MEMO_CAP = 10_000


class ImportRejected(Exception):
    """The package was rejected; `reasons` is the report, nothing was changed."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


@dataclass
class ImportResult:
    sequence: int
    already_imported: bool
    record_count: int = 0
    applied: int = 0
    skipped: int = 0
    notes: list[str] = field(default_factory=list)


class _Memo:
    def __init__(self) -> None:
        self._items: set[str] = set()

    def __contains__(self, item: str) -> bool:
        return item in self._items

    def add(self, item: str) -> None:
        if len(self._items) >= MEMO_CAP:
            self._items.clear()
        self._items.add(item)


def import_package(
    conn: sqlite3.Connection, path: Path, trusted: dict[str, Ed25519PublicKey]
) -> ImportResult:
    if not trusted:
        raise ImportRejected(["no trusted website public keys configured"])
    try:
        file_sha = _file_sha256(path)
        with PackageReader(path) as reader:
            manifest, signed_by = _verify(reader, trusted)
            return _import_verified(conn, reader, manifest, signed_by, path, file_sha)
    except (PackageError, SignatureError, OSError) as exc:
        raise ImportRejected([str(exc)]) from None


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(64 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _verify(reader: PackageReader, trusted: dict[str, Ed25519PublicKey]) -> tuple[Manifest, str]:
    """Step 1 of the contract: signature, format, direction, record_count, records_sha256."""
    manifest_bytes = reader.read_small(MANIFEST)
    signed_by = verify(reader.read_small(SIGNATURE), manifest_bytes, trusted)
    manifest = parse_manifest(manifest_bytes, SITE_TO_BILLING)
    digest = hashlib.sha256()
    newlines = 0
    last = b""
    for chunk in reader.iter_chunks(RECORDS):
        digest.update(chunk)
        newlines += chunk.count(b"\n")
        last = chunk
    # A final line without '\n' still counts as a line; it is rejected later with its number.
    lines = newlines + (1 if last and not last.endswith(b"\n") else 0)
    if lines != manifest.record_count:
        raise PackageError(
            f"record_count mismatch: manifest says {manifest.record_count}, "
            f"records.jsonl has {lines} line(s)"
        )
    if digest.hexdigest() != manifest.records_sha256:
        raise PackageError("records_sha256 mismatch: records.jsonl does not match the manifest")
    return manifest, signed_by


def _check_sequence(conn: sqlite3.Connection, manifest: Manifest) -> ImportResult | None:
    """Step 2: already imported → a no-op success; a gap → rejection naming what is missing."""
    last = db.last_site_sequence(conn)
    if manifest.sequence <= last:
        result = ImportResult(manifest.sequence, already_imported=True)
        row = conn.execute(
            "SELECT records_sha256 FROM site_packages WHERE sequence = ?", (manifest.sequence,)
        ).fetchone()
        if row is not None and row[0] != manifest.records_sha256:
            result.notes.append("warning: this sequence was imported before with different records")
        return result
    if manifest.sequence != last + 1:
        missing = last + 1
        span = (
            f"{missing}"
            if manifest.sequence == missing + 1
            else f"{missing}..{manifest.sequence - 1}"
        )
        raise ImportRejected(
            [
                f"sequence gap: package is {manifest.sequence} but the next expected is {missing}; "
                f"missing sequence {span}"
            ]
        )
    return None


def _import_verified(
    conn: sqlite3.Connection,
    reader: PackageReader,
    manifest: Manifest,
    signed_by: str,
    path: Path,
    file_sha: str,
) -> ImportResult:
    early = _check_sequence(conn, manifest)
    if early is not None:
        return early
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Re-check under the write lock: another import may have won the race.
        early = _check_sequence(conn, manifest)
        if early is not None:
            conn.execute("ROLLBACK")
            return early
        result = ImportResult(manifest.sequence, already_imported=False)
        errors = _Applier(conn, manifest.sequence, result).run(reader, manifest.records_sha256)
        if errors:
            raise ImportRejected(errors)
        last_export = db.last_billing_sequence(conn)
        if manifest.ack_through > last_export:
            result.notes.append(
                f"warning: website acknowledges billing sequence {manifest.ack_through} "
                f"but only {last_export} were exported from this home"
            )
        conn.execute(
            "INSERT INTO site_packages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                manifest.sequence,
                manifest.created_at,
                manifest.ack_through,
                manifest.record_count,
                result.applied,
                result.skipped,
                manifest.records_sha256,
                file_sha,
                path.name,
                signed_by,
                _who(),
                format_utc(now_utc()),
            ),
        )
        conn.execute("COMMIT")
        return result
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _line_problem(raw: bytes, terminated: bool) -> str | None:
    if not terminated:
        return "line does not end with '\\n'"
    if raw.endswith(b"\r"):
        return "line ends with '\\r\\n'; the contract requires '\\n' line ends"
    if not raw or raw.isspace():  # isspace() avoids copying every line as strip() would
        return "blank line"
    return None


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


_SQL = {
    "client.upserted": """
        INSERT INTO clients (contract, name, inn, kpp, status, balance_dirty)
        VALUES (?, ?, ?, ?, ?, 1)
        ON CONFLICT (contract) DO UPDATE SET
          name = excluded.name, inn = excluded.inn, kpp = excluded.kpp, status = excluded.status
    """,
    "subscription.upserted": """
        INSERT INTO subscriptions VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (subscription_key) DO UPDATE SET
          subscription_id_json = excluded.subscription_id_json, contract = excluded.contract,
          service_code = excluded.service_code, tariff_code = excluded.tariff_code,
          status = excluded.status, parameters = excluded.parameters
    """,
    "tariff.upserted": """
        INSERT INTO tariffs VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (tariff_code) DO UPDATE SET
          service_code = excluded.service_code, name = excluded.name,
          visibility = excluded.visibility, effective_from = excluded.effective_from,
          prices = excluded.prices
    """,
    # A payment id counts once even if the website re-sends it under a new record id.
    "payment.captured": "INSERT OR IGNORE INTO payments VALUES (?, ?, ?, ?, ?)",
    # An invoice id counts once; billing keeps the first version it saw.
    "invoice.issued": "INSERT OR IGNORE INTO invoices VALUES (?, ?, ?, ?, ?, ?)",
    # A promised payment counts once; its end is recorded once (the first end wins).
    "credit.promised": (
        "INSERT OR IGNORE INTO credits (credit_id, contract, amount_cents, granted_at, "
        "valid_until) VALUES (?, ?, ?, ?, ?)"
    ),
    "credit.ended": (
        "UPDATE credits SET ended_at = ?, reason = ? WHERE credit_id = ? AND ended_at IS NULL"
    ),
    # A labelling version counts once; its withdrawal ends every version of the label.
    "call_label.submitted": (
        "INSERT OR IGNORE INTO call_labels (label_id, version, contract, legal_name, brand, "
        "category, display_text, numbers, consent_version, consented_at, consented_by) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ),
    "call_label.withdrawn": (
        "UPDATE call_labels SET withdrawn_at = ? WHERE label_id = ? AND contract = ? "
        "AND withdrawn_at IS NULL"
    ),
    # Partial refunds of one payment are separate records, so each one counts.
    "payment.refunded": (
        "INSERT INTO refunds (payment_key, contract, amount_cents, refunded_at) VALUES (?, ?, ?, ?)"
    ),
}
BATCH = 500


def _row(record: Record) -> tuple[Any, ...]:
    d = record.data
    if record.type == "payment.captured":
        return (
            identifier(d, "payment_id"),
            d["contract"],
            wire_to_cents(d["amount"]),
            d["channel"],
            d["captured_at"],
        )
    if record.type == "payment.refunded":
        return (
            identifier(d, "payment_id"),
            d["contract"],
            wire_to_cents(d["amount"]),
            d["refunded_at"],
        )
    if record.type == "client.upserted":
        return (d["contract"], d["name"], d["inn"], d["kpp"], d["status"])
    if record.type == "invoice.issued":
        return (
            d["invoice_id"],
            d["contract"],
            d["number"],
            d["date"],
            wire_to_cents(d["amount"]),
            d["purpose"],
        )
    if record.type == "credit.promised":
        return (
            d["credit_id"],
            d["contract"],
            wire_to_cents(d["amount"]),
            d["granted_at"],
            d["valid_until"],
        )
    if record.type == "credit.ended":
        return (d["ended_at"], d["reason"], d["credit_id"])
    if record.type == "call_label.submitted":
        return (
            d["label_id"].lower(),
            d["version"],
            d["contract"],
            d["legal_name"],
            d["brand"],
            d["category"],
            d["display_text"],
            _json(d["numbers"]),
            d["consent_version"],
            d["consented_at"],
            d["consented_by"],
        )
    if record.type == "call_label.withdrawn":
        return (d["withdrawn_at"], d["label_id"].lower(), d["contract"])
    if record.type == "subscription.upserted":
        return (
            identifier(d, "subscription_id"),
            _json(d["subscription_id"]),
            d["contract"],
            d["service_code"],
            d["tariff_code"],
            d["status"],
            _json(d["parameters"]),
        )
    return (
        d["tariff_code"],
        d["service_code"],
        d["name"],
        d["visibility"],
        d["effective_from"],
        _json(d["prices"]),
    )


class _Applier:
    """Steps 3 and 4 in one streaming pass inside the caller's transaction.

    Valid records are written in batches (executemany) because per-row
    statements dominate the time of a million-record import. Records keep
    being applied after an error so that later "known contract" checks still
    see clients upserted earlier in the package; the caller rolls everything
    back if any error is returned.
    """

    def __init__(self, conn: sqlite3.Connection, sequence: int, result: ImportResult) -> None:
        self.conn = conn
        self.sequence = sequence
        self.result = result
        self.known = _Memo()
        self.dirty = _Memo()
        self.batch: list[Record] = []
        self.batch_clients: set[str] = set()

    def run(self, reader: PackageReader, expected_sha: str) -> list[str]:
        errors: list[str] = []
        digest = hashlib.sha256()
        lineno = 0
        for raw, terminated in reader.iter_lines(RECORDS, digest):
            lineno += 1
            self.result.record_count += 1
            reason = _line_problem(raw, terminated)
            if reason is None:
                try:
                    self._add(parse_record(raw))
                    continue
                except RecordError as exc:
                    reason = str(exc)
            errors.append(f"line {lineno}: {reason}")
            if len(errors) >= MAX_REPORTED_ERRORS:
                errors.append(f"stopped after {MAX_REPORTED_ERRORS} errors")
                return errors
        self._flush()
        # Guards against the file changing between the two passes.
        if not errors and digest.hexdigest() != expected_sha:
            errors.append("records_sha256 mismatch: records.jsonl changed while importing")
        return errors

    def _add(self, record: Record) -> None:
        contract = contract_of(record)
        if contract is not None and contract not in self.batch_clients:
            self._check_known(record.type, contract)
        if record.type == "client.upserted":
            self.batch_clients.add(record.data["contract"])
        self.batch.append(record)
        if len(self.batch) >= BATCH:
            self._flush()

    def _check_known(self, record_type: str, contract: str) -> None:
        if contract in self.known:
            return
        row = self.conn.execute("SELECT 1 FROM clients WHERE contract = ?", (contract,)).fetchone()
        if row is None:
            raise RecordError(f"{record_type}: unknown contract {contract!r}")
        self.known.add(contract)

    def _flush(self) -> None:
        if not self.batch:
            return
        ids = [record.id for record in self.batch]
        query = f"SELECT id FROM seen_records WHERE id IN ({','.join('?' * len(ids))})"  # noqa: S608
        seen = {row[0] for row in self.conn.execute(query, ids)}
        rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in _SQL}
        fresh: list[tuple[str, int]] = []
        touched: set[str] = set()
        for record in self.batch:
            if record.id in seen:
                self.result.skipped += 1
                continue
            seen.add(record.id)  # the same id twice in one batch applies once
            fresh.append((record.id, self.sequence))
            rows[record.type].append(_row(record))
            if record.type in ("payment.captured", "payment.refunded"):
                touched.add(record.data["contract"])
        self.result.applied += len(fresh)
        self.conn.executemany(
            "INSERT INTO seen_records (id, package_sequence) VALUES (?, ?)", fresh
        )
        # Rows go in _SQL order: a credit.ended follows its credit.promised in one batch.
        for record_type, params in rows.items():
            if params:
                self.conn.executemany(_SQL[record_type], params)
        for contract in touched:
            self._mark_dirty(contract)
        self.batch.clear()
        self.batch_clients.clear()

    def _mark_dirty(self, contract: str) -> None:
        if contract in self.dirty:
            return
        self.conn.execute(
            "UPDATE clients SET balance_dirty = 1 WHERE contract = ? AND balance_dirty = 0",
            (contract,),
        )
        self.dirty.add(contract)

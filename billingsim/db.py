"""SQLite storage under the billingsim home directory.

Money columns are integer kopecks so SUM() stays exact; ids that arrive from
the website keep their JSON spelling (`*_json`) so we can echo them back
unchanged, whatever JSON type the website chose for them.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS site_packages (
    sequence INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    ack_through INTEGER NOT NULL,
    record_count INTEGER NOT NULL,
    applied_count INTEGER NOT NULL,
    skipped_count INTEGER NOT NULL,
    records_sha256 TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    file_name TEXT NOT NULL,
    signed_by TEXT NOT NULL,
    imported_by TEXT NOT NULL,
    imported_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS seen_records (
    id TEXT PRIMARY KEY,
    package_sequence INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS clients (
    contract TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    inn TEXT NOT NULL,
    kpp TEXT NOT NULL,
    status TEXT NOT NULL,
    balance_dirty INTEGER NOT NULL DEFAULT 1,
    last_snapshot_as_of TEXT
);
CREATE TABLE IF NOT EXISTS subscriptions (
    subscription_key TEXT PRIMARY KEY,
    subscription_id_json TEXT NOT NULL,
    contract TEXT NOT NULL,
    service_code TEXT NOT NULL,
    tariff_code TEXT NOT NULL,
    status TEXT NOT NULL,
    parameters TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS subscriptions_contract ON subscriptions (contract);
CREATE TABLE IF NOT EXISTS tariffs (
    tariff_code TEXT PRIMARY KEY,
    service_code TEXT NOT NULL,
    name TEXT NOT NULL,
    visibility TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    prices TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS payments (
    payment_key TEXT PRIMARY KEY,
    contract TEXT NOT NULL,
    amount_cents INTEGER NOT NULL,
    channel TEXT NOT NULL,
    captured_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS payments_contract ON payments (contract);
CREATE TABLE IF NOT EXISTS refunds (
    id INTEGER PRIMARY KEY,
    payment_key TEXT NOT NULL,
    contract TEXT NOT NULL,
    amount_cents INTEGER NOT NULL,
    refunded_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS refunds_contract ON refunds (contract);
CREATE TABLE IF NOT EXISTS invoices (
    invoice_id TEXT PRIMARY KEY,
    contract TEXT NOT NULL,
    number TEXT NOT NULL,
    date TEXT NOT NULL,
    amount_cents INTEGER NOT NULL,
    purpose TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS invoices_number ON invoices (number);
CREATE TABLE IF NOT EXISTS credits (
    credit_id TEXT PRIMARY KEY,
    contract TEXT NOT NULL,
    amount_cents INTEGER NOT NULL,
    granted_at TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    ended_at TEXT,
    reason TEXT
);
CREATE INDEX IF NOT EXISTS credits_contract ON credits (contract);
CREATE TABLE IF NOT EXISTS received (
    payment_id TEXT PRIMARY KEY,
    contract TEXT NOT NULL,
    amount_cents INTEGER NOT NULL,
    channel TEXT NOT NULL,
    received_at TEXT NOT NULL,
    reference TEXT NOT NULL,
    invoice_id TEXT
);
CREATE INDEX IF NOT EXISTS received_contract ON received (contract, received_at);
CREATE TABLE IF NOT EXISTS charges (
    charge_id TEXT PRIMARY KEY,
    contract TEXT NOT NULL,
    period TEXT NOT NULL,
    amount_cents INTEGER NOT NULL,
    description TEXT NOT NULL,
    posted_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS charges_contract ON charges (contract, period);
CREATE TABLE IF NOT EXISTS usage (
    contract TEXT NOT NULL,
    period TEXT NOT NULL,
    zone TEXT NOT NULL,
    calls INTEGER NOT NULL,
    minutes INTEGER NOT NULL,
    amount_cents INTEGER NOT NULL,
    PRIMARY KEY (contract, period, zone)
);
CREATE TABLE IF NOT EXISTS documents (
    document_id TEXT PRIMARY KEY,
    contract TEXT NOT NULL,
    period TEXT NOT NULL,
    kind TEXT NOT NULL,
    number TEXT NOT NULL UNIQUE,
    date TEXT NOT NULL,
    amount_cents INTEGER NOT NULL,
    pdf BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS document_counters (
    kind TEXT NOT NULL,
    year INTEGER NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (kind, year)
);
CREATE TABLE IF NOT EXISTS billing_runs (
    contract TEXT NOT NULL,
    period TEXT NOT NULL,
    seed TEXT NOT NULL,
    billed_at TEXT NOT NULL,
    PRIMARY KEY (contract, period)
);
CREATE TABLE IF NOT EXISTS numbers (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL,
    contract TEXT NOT NULL,
    subscription_id TEXT NOT NULL,
    assigned_at TEXT NOT NULL,
    released_at TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS numbers_one_holder ON numbers (number)
    WHERE released_at IS NULL;
CREATE TABLE IF NOT EXISTS call_labels (
    label_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    contract TEXT NOT NULL,
    legal_name TEXT NOT NULL,
    brand TEXT NOT NULL,
    category TEXT NOT NULL,
    display_text TEXT NOT NULL,
    numbers TEXT NOT NULL,
    consent_version INTEGER NOT NULL,
    consented_at TEXT NOT NULL,
    consented_by TEXT NOT NULL,
    withdrawn_at TEXT,
    PRIMARY KEY (label_id, version)
);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    at TEXT NOT NULL,
    data TEXT NOT NULL,
    package_sequence INTEGER
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (package_sequence, seq);
CREATE TABLE IF NOT EXISTS billing_packages (
    sequence INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    ack_through INTEGER NOT NULL,
    record_count INTEGER NOT NULL,
    records_sha256 TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    file_name TEXT NOT NULL
);
"""

DB_NAME = "billingsim.sqlite3"


def outgoing_dir(home: Path) -> Path:
    return home / "outgoing"


def connect(home: Path) -> sqlite3.Connection:
    """Open (and create) the database; transactions are managed explicitly by callers."""
    home.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(home / DB_NAME, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.executescript(SCHEMA)
    return conn


def last_site_sequence(conn: sqlite3.Connection) -> int:
    """Highest site-to-billing sequence applied: the ack_through we send back."""
    return int(conn.execute("SELECT COALESCE(MAX(sequence), 0) FROM site_packages").fetchone()[0])


def site_ack_through(conn: sqlite3.Connection) -> int:
    """Highest billing-to-site sequence the website says it has applied."""
    row = conn.execute("SELECT COALESCE(MAX(ack_through), 0) FROM site_packages").fetchone()
    return int(row[0])


def last_billing_sequence(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT COALESCE(MAX(sequence), 0) FROM billing_packages").fetchone()
    return int(row[0])


def balance_cents(conn: sqlite3.Connection, contract: str, as_of: str | None = None) -> int:
    """Payments captured + money received − refunds − charges posted, in kopecks.

    With ``as_of`` (RFC 3339 UTC), only money billing received up to that moment counts:
    a snapshot as of a moment includes exactly the payments received by then, so the
    website adds the later ones itself and never counts one twice."""
    row = conn.execute(
        """
        SELECT
          (SELECT COALESCE(SUM(amount_cents), 0) FROM payments WHERE contract = :c)
        + (SELECT COALESCE(SUM(amount_cents), 0) FROM received
           WHERE contract = :c AND (:as_of IS NULL OR received_at <= :as_of))
        - (SELECT COALESCE(SUM(amount_cents), 0) FROM refunds WHERE contract = :c)
        - (SELECT COALESCE(SUM(amount_cents), 0) FROM charges WHERE contract = :c)
        """,
        {"c": contract, "as_of": as_of},
    ).fetchone()
    return int(row[0])

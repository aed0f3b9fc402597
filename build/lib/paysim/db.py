"""SQLite storage. A short-lived connection per unit of work keeps threads independent."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS payments (
    payment_id      TEXT PRIMARY KEY,
    merchant_id     TEXT NOT NULL,
    order_id        TEXT NOT NULL,
    account         TEXT NOT NULL,
    amount          TEXT NOT NULL,
    captured_amount TEXT NOT NULL DEFAULT '0.00',
    refunded_amount TEXT NOT NULL DEFAULT '0.00',
    currency        TEXT NOT NULL,
    description     TEXT NOT NULL,
    return_url      TEXT NOT NULL,
    notify_url      TEXT NOT NULL,
    status          TEXT NOT NULL,
    card_last4      TEXT,
    created_at      INTEGER NOT NULL,
    capture_before  INTEGER,
    updated_at      INTEGER NOT NULL,
    UNIQUE (merchant_id, order_id)
);
CREATE INDEX IF NOT EXISTS payments_status_hold ON payments (status, capture_before);

CREATE TABLE IF NOT EXISTS idempotency (
    key         TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    status      INTEGER NOT NULL,
    body        BLOB NOT NULL,
    created_at  INTEGER NOT NULL
);

-- One row per state change; `body` is the exact notification payload.
CREATE TABLE IF NOT EXISTS events (
    event_id    TEXT PRIMARY KEY,
    payment_id  TEXT NOT NULL REFERENCES payments (payment_id),
    type        TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    body        BLOB NOT NULL,
    occurred_at INTEGER NOT NULL
);

-- One row per send of an event (two when chaos `duplicate` is on).
CREATE TABLE IF NOT EXISTS deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id        TEXT NOT NULL REFERENCES events (event_id),
    url             TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      REAL NOT NULL,
    next_attempt_at REAL NOT NULL,
    last_attempt_at REAL,
    delivered_at    REAL,
    last_error      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (state, next_attempt_at);
"""


class Database:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = self._connect()
        try:
            # WAL lets the HTTP threads read while the dispatcher writes.
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA)
        finally:
            conn.close()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        conn = self._connect()
        try:
            yield conn
        finally:
            conn.close()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A transaction that takes the write lock up front, so check-then-act is atomic."""
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            conn.close()

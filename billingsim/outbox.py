"""Billing-to-site records waiting for the next export."""

from __future__ import annotations

import json
import sqlite3
import uuid
from typing import Any

from billingsim.clock import format_utc, now_utc

# The order records leave in, by rank; within a rank, the order they were made
# (status changes share a rank so a client's and its subscriptions' keep their order).
EXPORT_RANK = {
    "balance.snapshot": 0,
    "charge.posted": 1,
    "payment.received": 1,
    "usage.summary": 2,
    "call.detail": 2,
    "document.issued": 3,
    "client.status": 4,
    "subscription.status": 4,
    # The second December list: numbers first, so a label's numbers are known by then.
    "number.released": 5,
    "number.assigned": 5,
    "call_label.status": 6,
}


def enqueue(conn: sqlite3.Connection, record_type: str, data: dict[str, Any]) -> str:
    """Queue one record; its uuid4 id is fresh randomness, so it is unique forever."""
    if record_type not in EXPORT_RANK:
        raise ValueError(f"not a billing-to-site record type: {record_type}")
    record_id = str(uuid.uuid4())
    conn.execute(
        "INSERT INTO outbox (id, type, at, data) VALUES (?, ?, ?, ?)",
        (
            record_id,
            record_type,
            format_utc(now_utc()),
            json.dumps(data, ensure_ascii=False, separators=(",", ":")),
        ),
    )
    return record_id


def pending_count(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT COUNT(*) FROM outbox WHERE package_sequence IS NULL").fetchone()
    return int(row[0])

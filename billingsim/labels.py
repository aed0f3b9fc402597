"""`assign-number`, `release-number`, `label-status` and `labels`: the contracts' numbers and
what became of the website's call labelling applications, sent to the website as
`number.assigned`, `number.released` and `call_label.status` (billing-exchange.md, second
December list)."""

from __future__ import annotations

import json
import re
import sqlite3
from typing import Any

from billingsim import outbox
from billingsim.clock import format_utc, now_utc

LABEL_STATUSES = ("accepted", "active", "rejected", "withdrawn")
_NUMBER = re.compile(r"[1-9][0-9]{6,14}")


class LabelError(Exception):
    """Unknown contract, label or version; a number another contract holds; a bad value."""


def _contract(conn: sqlite3.Connection, contract: str) -> None:
    if conn.execute("SELECT 1 FROM clients WHERE contract = ?", (contract,)).fetchone() is None:
        raise LabelError(f"unknown contract {contract!r}")


def _digits(number: str) -> str:
    digits = "".join(c for c in number if c.isdigit())
    if not _NUMBER.fullmatch(digits):
        raise LabelError(f"not a number with the country code: {number!r}")
    return digits


def assign_number(
    conn: sqlite3.Connection, contract: str, number: str, subscription: str = ""
) -> str:
    """The contract gets ``number`` (one contract at a time)."""
    _contract(conn, contract)
    digits = _digits(number)
    if subscription and (
        conn.execute(
            "SELECT 1 FROM subscriptions WHERE subscription_key = ? AND contract = ?",
            (subscription, contract),
        ).fetchone()
        is None
    ):
        raise LabelError(f"unknown subscription {subscription!r} on contract {contract!r}")
    holder = conn.execute(
        "SELECT contract FROM numbers WHERE number = ? AND released_at IS NULL", (digits,)
    ).fetchone()
    if holder is not None:
        raise LabelError(f"number {digits} already belongs to contract {holder['contract']!r}")
    at = format_utc(now_utc())
    with conn:
        conn.execute(
            "INSERT INTO numbers (number, contract, subscription_id, assigned_at) "
            "VALUES (?, ?, ?, ?)",
            (digits, contract, subscription, at),
        )
        outbox.enqueue(
            conn,
            "number.assigned",
            {
                "contract": contract,
                "number": digits,
                "subscription_id": subscription,
                "assigned_at": at,
            },
        )
    return digits


def release_number(conn: sqlite3.Connection, contract: str, number: str) -> str:
    _contract(conn, contract)
    digits = _digits(number)
    at = format_utc(now_utc())
    with conn:
        changed = conn.execute(
            "UPDATE numbers SET released_at = ? WHERE number = ? AND contract = ? "
            "AND released_at IS NULL",
            (at, digits, contract),
        ).rowcount
        if not changed:
            raise LabelError(f"number {digits} is not assigned to contract {contract!r}")
        outbox.enqueue(
            conn,
            "number.released",
            {"contract": contract, "number": digits, "released_at": at},
        )
    return digits


def label_status(
    conn: sqlite3.Connection,
    label_id: str,
    status: str,
    *,
    version: int | None = None,
    reason: str = "",
) -> dict[str, Any]:
    """Answer the website about a labelling version (the newest one imported by default)."""
    if status not in LABEL_STATUSES:
        raise LabelError(f"status must be one of {', '.join(LABEL_STATUSES)}")
    label_id = label_id.lower()
    query = "SELECT contract, version FROM call_labels WHERE label_id = ?"
    params: tuple[Any, ...] = (label_id,)
    if version is not None:
        query += " AND version = ?"
        params += (version,)
    row = conn.execute(query + " ORDER BY version DESC LIMIT 1", params).fetchone()
    if row is None:
        raise LabelError(
            f"no labelling {label_id}"
            + (f" version {version}" if version else "")
            + " was imported from the website"
        )
    data = {
        "contract": row["contract"],
        "label_id": label_id,
        "version": row["version"],
        "status": status,
        "reason": reason,
        "as_of": format_utc(now_utc()),
    }
    with conn:
        outbox.enqueue(conn, "call_label.status", data)
    return data


def list_labels(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT label_id, version, contract, display_text, numbers, withdrawn_at "
        "FROM call_labels ORDER BY contract, label_id, version"
    ).fetchall()
    return [
        {
            "label_id": r["label_id"],
            "version": r["version"],
            "contract": r["contract"],
            "display_text": r["display_text"],
            "numbers": json.loads(r["numbers"]),
            "withdrawn_at": r["withdrawn_at"],
        }
        for r in rows
    ]

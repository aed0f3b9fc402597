"""`status` (balances and sequences) and `set-status` (billing-side suspensions)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from billingsim import db, outbox
from billingsim.money import format_cents
from billingsim.records import CLIENT_STATUSES


class StatusError(Exception):
    """The contract or subscription is unknown, or the status is not allowed."""


def collect_status(conn: sqlite3.Connection, contract: str | None = None) -> dict[str, Any]:
    query = "SELECT contract, name, status FROM clients"
    params: tuple[str, ...] = ()
    if contract is not None:
        query += " WHERE contract = ?"
        params = (contract,)
    rows = conn.execute(query + " ORDER BY contract", params).fetchall()
    if contract is not None and not rows:
        raise StatusError(f"unknown contract {contract!r}")
    clients = []
    for row in rows:
        c = row["contract"]
        clients.append(
            {
                "contract": c,
                "name": row["name"],
                "status": row["status"],
                "balance": format_cents(db.balance_cents(conn, c)),
                "payments": format_cents(_sum(conn, "payments", c)),
                "received": format_cents(_sum(conn, "received", c)),
                "refunds": format_cents(_sum(conn, "refunds", c)),
                "charges": format_cents(_sum(conn, "charges", c)),
                "open_credit": format_cents(_open_credit(conn, c)),
            }
        )
    return {
        "site_sequence_imported": db.last_site_sequence(conn),
        "billing_sequence_exported": db.last_billing_sequence(conn),
        "site_ack_through": db.site_ack_through(conn),
        "pending_records": outbox.pending_count(conn),
        "clients": clients,
    }


_SUMS = {
    table: f"SELECT COALESCE(SUM(amount_cents), 0) FROM {table} WHERE contract = ?"  # noqa: S608
    for table in ("payments", "received", "refunds", "charges")
}


def _open_credit(conn: sqlite3.Connection, contract: str) -> int:
    """Promised payments granted on the website and not ended: billing does not suspend the
    contract for a debt they cover before their valid_until."""
    row = conn.execute(
        "SELECT COALESCE(SUM(amount_cents), 0) FROM credits"
        " WHERE contract = ? AND ended_at IS NULL",
        (contract,),
    ).fetchone()
    return int(row[0])


def _sum(conn: sqlite3.Connection, table: str, contract: str) -> int:
    return int(conn.execute(_SUMS[table], (contract,)).fetchone()[0])


def format_status(status: dict[str, Any]) -> str:
    lines = [
        f"site-to-billing imported through: {status['site_sequence_imported']}"
        " (sent back as ack_through)",
        f"billing-to-site exported through: {status['billing_sequence_exported']}",
        f"website acknowledged through:     {status['site_ack_through']}",
        f"records waiting for export:       {status['pending_records']}",
    ]
    if status["clients"]:
        lines.append("")
        lines.append(f"{'contract':<14} {'status':<10} {'balance':>14}  name")
        for c in status["clients"]:
            lines.append(f"{c['contract']:<14} {c['status']:<10} {c['balance']:>14}  {c['name']}")
    return "\n".join(lines)


def set_status(
    conn: sqlite3.Connection, contract: str, subscription: str | None, status: str
) -> bool:
    """Change a status on the billing side and queue the record; False if nothing changed."""
    if status not in CLIENT_STATUSES:
        raise StatusError(f"status must be one of {', '.join(CLIENT_STATUSES)}")
    conn.execute("BEGIN IMMEDIATE")
    try:
        changed = (
            _set_subscription(conn, contract, subscription, status)
            if subscription is not None
            else _set_client(conn, contract, status)
        )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return changed


def _set_client(conn: sqlite3.Connection, contract: str, status: str) -> bool:
    row = conn.execute("SELECT status FROM clients WHERE contract = ?", (contract,)).fetchone()
    if row is None:
        raise StatusError(f"unknown contract {contract!r}")
    if row["status"] == status:
        return False
    conn.execute("UPDATE clients SET status = ? WHERE contract = ?", (status, contract))
    outbox.enqueue(conn, "client.status", {"contract": contract, "status": status})
    return True


def _set_subscription(
    conn: sqlite3.Connection, contract: str, subscription: str, status: str
) -> bool:
    row = conn.execute(
        "SELECT status, subscription_id_json FROM subscriptions "
        "WHERE subscription_key = ? AND contract = ?",
        (subscription, contract),
    ).fetchone()
    if row is None:
        raise StatusError(f"unknown subscription {subscription!r} on contract {contract!r}")
    if row["status"] == status:
        return False
    conn.execute(
        "UPDATE subscriptions SET status = ? WHERE subscription_key = ?", (status, subscription)
    )
    outbox.enqueue(
        conn,
        "subscription.status",
        {
            "contract": contract,
            # Echo the id in the JSON type the website used for it.
            "subscription_id": json.loads(row["subscription_id_json"]),
            "status": status,
        },
    )
    return True

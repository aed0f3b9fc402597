"""`receive` and `pay-invoice`: money that reached billing without the website (a bank
transfer, cash at the office), sent to the website as `payment.received`."""

from __future__ import annotations

import random
import sqlite3
import uuid
from dataclasses import dataclass
from decimal import Decimal

from billingsim import outbox
from billingsim.clock import format_utc, now_utc
from billingsim.money import format_cents, to_cents

CHANNELS = ("bank", "cash", "other")


class ReceiveError(Exception):
    """Unknown contract or invoice, a bad amount, or an invoice paid before."""


@dataclass(frozen=True)
class Received:
    payment_id: str
    contract: str
    amount_cents: int
    reference: str
    received_at: str


def receive(
    conn: sqlite3.Connection,
    contract: str,
    amount: Decimal,
    *,
    channel: str = "bank",
    reference: str = "",
    invoice_id: str | None = None,
) -> Received:
    if channel not in CHANNELS:
        raise ReceiveError(f"channel must be one of {', '.join(CHANNELS)}")
    if amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise ReceiveError("the amount must be positive, with at most two decimals")
    if conn.execute("SELECT 1 FROM clients WHERE contract = ?", (contract,)).fetchone() is None:
        raise ReceiveError(f"unknown contract {contract!r}")
    payment = Received(
        payment_id=f"bank-{uuid.uuid4()}",
        contract=contract,
        amount_cents=to_cents(amount),
        reference=reference,
        received_at=format_utc(now_utc()),
    )
    with conn:
        conn.execute(
            "INSERT INTO received VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                payment.payment_id,
                contract,
                payment.amount_cents,
                channel,
                payment.received_at,
                reference,
                invoice_id,
            ),
        )
        conn.execute("UPDATE clients SET balance_dirty = 1 WHERE contract = ?", (contract,))
        outbox.enqueue(
            conn,
            "payment.received",
            {
                "contract": contract,
                "payment_id": payment.payment_id,
                "amount": format_cents(payment.amount_cents),
                "channel": channel,
                "received_at": payment.received_at,
                "reference": reference,
            },
        )
    return payment


def pay_invoice(conn: sqlite3.Connection, number: str, *, reference: str | None = None) -> Received:
    """The client paid invoice ``number`` in full by bank transfer (a payment order with a
    random number unless ``reference`` is given)."""
    row = conn.execute(
        "SELECT invoice_id, contract, amount_cents FROM invoices WHERE number = ?", (number,)
    ).fetchone()
    if row is None:
        raise ReceiveError(f"no invoice № {number} was imported from the website")
    paid = conn.execute(
        "SELECT payment_id FROM received WHERE invoice_id = ?", (row["invoice_id"],)
    ).fetchone()
    if paid is not None:
        raise ReceiveError(f"invoice № {number} was paid before ({paid['payment_id']})")
    order = reference if reference is not None else str(random.randint(100, 99999))
    return receive(
        conn,
        row["contract"],
        Decimal(row["amount_cents"]) / 100,
        reference=order,
        invoice_id=row["invoice_id"],
    )

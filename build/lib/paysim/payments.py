"""Payments and their state machine; every state change queues a notification."""

from __future__ import annotations

import json
import re
import sqlite3
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from paysim.clock import rfc3339, rfc3339_or_none
from paysim.db import Database
from paysim.money import AmountError, format_amount, parse_amount
from paysim.notify import Outbox

PENDING = "pending"
AUTHORIZED = "authorized"
DECLINED = "declined"
CAPTURED = "captured"
REFUNDED = "refunded"
VOIDED = "voided"
EXPIRED = "expired"

CURRENCY = "RUB"
CARD_APPROVED = "4111111111111111"
CARD_DECLINED = "4000000000000002"

_CARD_RE = re.compile(r"[0-9]{12,19}")


class PaymentError(Exception):
    """An answer other than success; `http_status` and `code` go on the wire."""

    http_status = 400
    code = "invalid_request"

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, **self.extra}


class InvalidRequestError(PaymentError):
    pass


class NotFoundError(PaymentError):
    http_status = 404
    code = "not_found"


class WrongStateError(PaymentError):
    http_status = 409
    code = "invalid_state"


class DuplicateOrderError(PaymentError):
    http_status = 409
    code = "duplicate_order"


@dataclass(frozen=True)
class Payment:
    payment_id: str
    merchant_id: str
    order_id: str
    account: str
    amount: Decimal
    captured_amount: Decimal
    refunded_amount: Decimal
    currency: str
    description: str
    return_url: str
    notify_url: str
    status: str
    card_last4: str | None
    created_at: int
    capture_before: int | None
    updated_at: int

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Payment:
        values = dict(row)
        for name in ("amount", "captured_amount", "refunded_amount"):
            values[name] = Decimal(values[name])
        return cls(**values)

    def to_wire(self) -> dict[str, Any]:
        """The spec's payment object, exactly these fields."""
        return {
            "payment_id": self.payment_id,
            "order_id": self.order_id,
            "status": self.status,
            "amount": format_amount(self.amount),
            "captured_amount": format_amount(self.captured_amount),
            "refunded_amount": format_amount(self.refunded_amount),
            "currency": self.currency,
            "capture_before": rfc3339_or_none(self.capture_before),
            "updated_at": rfc3339(self.updated_at),
        }

    def hold_lapsed(self, now: float) -> bool:
        return (
            self.status == AUTHORIZED
            and self.capture_before is not None
            and int(now) > self.capture_before
        )

    @property
    def refundable(self) -> Decimal:
        return self.captured_amount - self.refunded_amount


def normalize_card_number(value: str) -> str | None:
    """Digits only (spaces are optional on the card page); None if it is not a card number."""
    digits = value.replace(" ", "")
    return digits if _CARD_RE.fullmatch(digits) else None


class Gateway:
    """Card-protocol services. Methods taking `conn` run inside the caller's transaction."""

    def __init__(
        self,
        db: Database,
        outbox: Outbox,
        *,
        merchant_id: str,
        public_url: str,
        hold_seconds: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.outbox = outbox
        self.merchant_id = merchant_id
        # Set again by the server once it knows the port it bound.
        self.public_url = public_url.rstrip("/")
        self.hold_seconds = hold_seconds
        self.clock = clock

    def payment_url(self, payment_id: str) -> str:
        return f"{self.public_url}/pay/{payment_id}"

    # --- website -> gateway API -------------------------------------------------

    def create(self, conn: sqlite3.Connection, data: object) -> dict[str, Any]:
        fields = _require_object(data)
        merchant_id = _require_str(fields, "merchant_id")
        if merchant_id != self.merchant_id:
            raise InvalidRequestError(f"unknown merchant_id {merchant_id!r}", field="merchant_id")
        order_id = _require_str(fields, "order_id")
        try:
            uuid.UUID(order_id)
        except ValueError:
            raise InvalidRequestError("order_id must be a UUID", field="order_id") from None
        account = _require_str(fields, "account", max_length=64)
        amount = _require_amount(fields, "amount")
        currency = _require_str(fields, "currency")
        if currency != CURRENCY:
            raise InvalidRequestError(f"currency must be {CURRENCY}", field="currency")
        description = _require_str(fields, "description", max_length=500, allow_empty=True)
        return_url = _require_url(fields, "return_url")
        notify_url = _require_url(fields, "notify_url")
        existing = conn.execute(
            "SELECT payment_id FROM payments WHERE merchant_id = ? AND order_id = ?",
            (merchant_id, order_id),
        ).fetchone()
        if existing is not None:
            raise DuplicateOrderError(
                f"order_id {order_id} already has payment {existing['payment_id']}",
                payment_id=existing["payment_id"],
            )
        now = int(self.clock())
        payment_id = str(uuid.uuid4())
        conn.execute(
            "INSERT INTO payments (payment_id, merchant_id, order_id, account, amount, currency,"
            " description, return_url, notify_url, status, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                payment_id,
                merchant_id,
                order_id,
                account,
                format_amount(amount),
                currency,
                description,
                return_url,
                notify_url,
                PENDING,
                now,
                now,
            ),
        )
        return {
            "payment_id": payment_id,
            "status": PENDING,
            "payment_url": self.payment_url(payment_id),
        }

    def get(self, conn: sqlite3.Connection, payment_id: str) -> Payment:
        return self._load_current(conn, payment_id)

    def capture(self, conn: sqlite3.Connection, payment_id: str, data: object) -> Payment:
        fields = _require_object(data)
        amount = _require_amount(fields, "amount")
        payment = self._load_current(conn, payment_id)
        _require_status(payment, "capture", AUTHORIZED)
        if amount > payment.amount:
            raise InvalidRequestError(
                f"capture amount {format_amount(amount)} exceeds the held "
                f"{format_amount(payment.amount)}",
                field="amount",
            )
        payment = self._change(conn, payment, status=CAPTURED, captured_amount=amount)
        self._record_event(conn, payment, "payment.captured", note=f"captured {amount}")
        return payment

    def void(self, conn: sqlite3.Connection, payment_id: str, data: object) -> Payment:
        fields = _require_object(data)
        reason = _require_str(fields, "reason", max_length=500)
        payment = self._load_current(conn, payment_id)
        _require_status(payment, "void", AUTHORIZED)
        payment = self._change(conn, payment, status=VOIDED)
        self._record_event(conn, payment, "payment.voided", note=reason)
        return payment

    def refund(self, conn: sqlite3.Connection, payment_id: str, data: object) -> Payment:
        fields = _require_object(data)
        amount = _require_amount(fields, "amount")
        reason = _require_str(fields, "reason", max_length=500)
        payment = self._load_current(conn, payment_id)
        _require_status(payment, "refund", CAPTURED)
        if amount > payment.refundable:
            raise InvalidRequestError(
                f"refund amount {format_amount(amount)} exceeds the refundable "
                f"{format_amount(payment.refundable)}",
                field="amount",
            )
        refunded = payment.refunded_amount + amount
        # A partial refund keeps the status `captured`; only the last cent makes it `refunded`.
        status = REFUNDED if refunded == payment.captured_amount else CAPTURED
        payment = self._change(conn, payment, status=status, refunded_amount=refunded)
        self._record_event(conn, payment, "payment.refunded", note=f"refunded {amount}: {reason}")
        return payment

    # --- card page and background work ------------------------------------------

    def find(self, payment_id: str) -> Payment | None:
        with self.db.read() as conn:
            return self._load(conn, payment_id)

    def pay_by_card(self, payment_id: str, card_number: str) -> Payment:
        """Authorise with the approving test card, decline every other number."""
        with self.db.write() as conn:
            payment = self._load(conn, payment_id)
            if payment is None:
                raise NotFoundError(f"no payment {payment_id}")
            _require_status(payment, "pay", PENDING)
            last4 = card_number[-4:]
            if card_number == CARD_APPROVED:
                now = int(self.clock())
                payment = self._change(
                    conn,
                    payment,
                    status=AUTHORIZED,
                    card_last4=last4,
                    capture_before=now + self.hold_seconds,
                )
                self._record_event(conn, payment, "payment.authorized", note=f"card *{last4}")
            else:
                why = "test decline card" if card_number == CARD_DECLINED else "unknown card"
                payment = self._change(conn, payment, status=DECLINED, card_last4=last4)
                self._record_event(conn, payment, "payment.declined", note=f"*{last4}: {why}")
        self.outbox.notify_dispatcher()
        return payment

    def expire_due(self) -> int:
        """Mark every authorised payment past capture_before as expired; returns the count."""
        now = self.clock()
        with self.db.write() as conn:
            rows = conn.execute(
                "SELECT * FROM payments WHERE status = ? AND capture_before < ?",
                (AUTHORIZED, int(now)),
            ).fetchall()
            for row in rows:
                self._expire(conn, Payment.from_row(row))
        if rows:
            self.outbox.notify_dispatcher()
        return len(rows)

    # --- internals ----------------------------------------------------------------

    def _load(self, conn: sqlite3.Connection, payment_id: str) -> Payment | None:
        row = conn.execute(
            "SELECT * FROM payments WHERE payment_id = ? AND merchant_id = ?",
            (payment_id, self.merchant_id),
        ).fetchone()
        return None if row is None else Payment.from_row(row)

    def _load_current(self, conn: sqlite3.Connection, payment_id: str) -> Payment:
        """Load, applying a lapsed hold first so no caller acts on a stale `authorized`."""
        payment = self._load(conn, payment_id)
        if payment is None:
            raise NotFoundError(f"no payment {payment_id}")
        if payment.hold_lapsed(self.clock()):
            payment = self._expire(conn, payment)
        return payment

    def _expire(self, conn: sqlite3.Connection, payment: Payment) -> Payment:
        payment = self._change(conn, payment, status=EXPIRED)
        self._record_event(conn, payment, "payment.expired", note="hold lapsed")
        return payment

    def _change(self, conn: sqlite3.Connection, payment: Payment, **changes: Any) -> Payment:
        changed = replace(payment, updated_at=int(self.clock()), **changes)
        conn.execute(
            "UPDATE payments SET status = ?, captured_amount = ?, refunded_amount = ?,"
            " card_last4 = ?, capture_before = ?, updated_at = ? WHERE payment_id = ?",
            (
                changed.status,
                format_amount(changed.captured_amount),
                format_amount(changed.refunded_amount),
                changed.card_last4,
                changed.capture_before,
                changed.updated_at,
                changed.payment_id,
            ),
        )
        return changed

    def _record_event(
        self, conn: sqlite3.Connection, payment: Payment, event_type: str, note: str
    ) -> None:
        event_id = str(uuid.uuid4())
        occurred_at = int(self.clock())
        body = json.dumps(
            {
                "event_id": event_id,
                "type": event_type,
                "payment": payment.to_wire(),
                "occurred_at": rfc3339(occurred_at),
            },
            ensure_ascii=False,
        ).encode("utf-8")
        conn.execute(
            "INSERT INTO events (event_id, payment_id, type, note, body, occurred_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (event_id, payment.payment_id, event_type, note, body, occurred_at),
        )
        self.outbox.enqueue(conn, event_id=event_id, url=payment.notify_url)


def _require_status(payment: Payment, action: str, *allowed: str) -> None:
    if payment.status not in allowed:
        raise WrongStateError(
            f"cannot {action} a payment in status {payment.status}",
            status=payment.status,
        )


def _require_object(data: object) -> Mapping[str, Any]:
    if not isinstance(data, dict):
        raise InvalidRequestError("body must be a JSON object")
    return data


def _require_str(
    fields: Mapping[str, Any], name: str, *, max_length: int = 200, allow_empty: bool = False
) -> str:
    value = fields.get(name)
    if not isinstance(value, str):
        raise InvalidRequestError(f"{name} is required and must be a string", field=name)
    if not allow_empty and not value.strip():
        raise InvalidRequestError(f"{name} must not be empty", field=name)
    if len(value) > max_length:
        raise InvalidRequestError(f"{name} is longer than {max_length} characters", field=name)
    return value


def _require_amount(fields: Mapping[str, Any], name: str) -> Decimal:
    try:
        return parse_amount(fields.get(name))
    except AmountError as exc:
        raise InvalidRequestError(f"{name}: {exc}", field=name) from None


def _require_url(fields: Mapping[str, Any], name: str) -> str:
    value = _require_str(fields, name, max_length=2000)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidRequestError(f"{name} must be an absolute http(s) URL", field=name)
    return value

"""The one payment state machine every provider shares.

Every change locks the payment row (``select_for_update``) and runs in one transaction
with its ledger entries, billing outbox records, audit entries and notices. Nothing moves
backwards. A provider's answer reaches this module as the canonical payment object
(``Snapshot``, specs/payment-gateway.md) and is applied by ``sync_locked``; agent networks
and terminals credit through ``post_capture``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from kabinet.accounts.models import Client, Role, User
from kabinet.accounts.selectors import company_users
from kabinet.exchange.outbox import outbox_record
from kabinet.lib.money import LocalMoney, format_money
from kabinet.notifications.models import Category
from kabinet.notifications.services import notification_send

from . import events
from .models import (
    ZERO,
    Channel,
    LedgerEntry,
    LedgerKind,
    Payment,
    PaymentStatus,
)

logger = logging.getLogger(__name__)

API_PAYMENTS = "/api/v1/payments"
CURRENCY = "RUB"
# Auto-capture happens at least this long before the hold lapses, leaving room for retries.
CAPTURE_MARGIN = timedelta(minutes=15)
# The payer's status page asks the gateway at most this often while nothing has come.
SYNC_INTERVAL = timedelta(seconds=5)
AUDIT_FIELDS = ("status", "amount", "captured_amount", "refunded_amount", "flagged")

_WIRE_AMOUNT_RE = re.compile(r"(0|[1-9][0-9]{0,9})\.[0-9]{2}")

EVENT_TYPES = frozenset(
    {
        "payment.authorized",
        "payment.declined",
        "payment.captured",
        "payment.voided",
        "payment.expired",
        "payment.refunded",
    }
)
GATEWAY_STATUSES = frozenset(
    {"pending", "authorized", "captured", "refunded", "declined", "voided", "expired"}
)


T = TypeVar("T")


_RETRYING: ContextVar[bool] = ContextVar("atomic_retrying", default=False)


def atomic_retrying(work: Callable[[], T]) -> T:
    """``work()`` in one transaction, run a second time when it loses a race on a unique key.

    Idempotent credits (a terminal receipt, an agent's transaction id, a gateway event) look
    their key up under lock and insert it when it is new; two concurrent repeats can both
    find nothing, and then the second insert waits for the first transaction and fails.
    Rather than a savepoint around every insert (two more round trips on every request), the
    loser's whole transaction is rolled back and run again: this time the look-up finds the
    committed row and answers as the first did. Nested in another ``atomic_retrying``, the
    outer one's transaction and retry serve; inside any other transaction, a savepoint.
    """
    if _RETRYING.get():
        return work()
    token = _RETRYING.set(True)
    try:
        if transaction.get_connection().in_atomic_block:
            with transaction.atomic():
                return work()
        try:
            with transaction.atomic():
                return work()
        except IntegrityError:
            logger.info("a concurrent request took the same key first: running again")
        with transaction.atomic():
            return work()
    finally:
        _RETRYING.reset(token)


# --- small helpers ------------------------------------------------------------------------


def parse_wire_amount(value: object) -> Decimal | None:
    """A money string with exactly two decimals ("1500.00"); None for anything else."""
    if not isinstance(value, str) or not _WIRE_AMOUNT_RE.fullmatch(value):
        return None
    return Decimal(value)


def wire_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_wire_time(value: object) -> datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment


def managers_for(client: Client) -> list[User]:
    """The client's manager, or every manager when the client has none."""
    manager = client.manager
    if manager is not None and manager.is_active:
        return [manager]
    return list(User.objects.filter(role__in=[Role.MANAGER, Role.ADMIN], is_active=True))


def money_text(amount: Decimal) -> LocalMoney:
    return LocalMoney(amount)


def _manager_url(payment: Payment) -> str:
    return reverse("manager:payment_detail", args=[payment.pk])


def _cabinet_url(payment: Payment) -> str:
    return reverse("cabinet:payment_receipt", args=[payment.pk])


def notify_client(payment: Payment, title: Any, body: Any = "", **params: Any) -> None:
    notification_send(
        users=company_users(payment.client),
        category=Category.PAYMENT,
        title=title,
        body=body,
        params={
            "amount": money_text(payment.amount),
            "contract": payment.client.contract_number,
            **params,
        },
        url=_cabinet_url(payment),
    )


def notify_managers(payment: Payment, title: Any, body: Any = "", **params: Any) -> None:
    notification_send(
        users=managers_for(payment.client),
        category=Category.PAYMENT,
        title=title,
        body=body,
        params={
            "amount": money_text(payment.amount),
            "contract": payment.client.contract_number,
            "payment": payment.short_id,
            **params,
        },
        url=_manager_url(payment),
    )


def flag(payment: Payment, reason: str) -> None:
    """Mark a payment for a manager's attention; the manager hears of each new reason."""
    if payment.flagged and reason in payment.flag_reason:
        return
    now = timezone.now()
    payment.flag_reason = f"{payment.flag_reason}\n{reason}".strip()
    payment.flagged = True
    payment.flagged_at = payment.flagged_at or now
    payment.save(update_fields=["flagged", "flag_reason", "flagged_at", "updated_at"])
    notify_managers(
        payment,
        gettext_lazy("Payment %(payment)s of contract %(contract)s needs attention"),
        gettext_lazy("%(reason)s"),
        reason=reason,
    )


def lock(payment_id: Any) -> Payment:
    return (
        Payment.objects.select_for_update(of=("self",)).select_related("client").get(pk=payment_id)
    )


# --- ledger and billing ---------------------------------------------------------------------


def post_capture(payment: Payment, *, amount: Decimal, at: datetime) -> None:
    """Money reaches the balance: a ledger credit and a billing record, in this transaction."""
    payment.capture_record = _capture_record(payment, amount=amount, at=at)
    _ledger_credit(payment, amount=amount, at=at)


def _capture_record(payment: Payment, *, amount: Decimal, at: datetime) -> Any:
    return outbox_record(
        type="payment.captured",
        data={
            "contract": payment.client.contract_number,
            "payment_id": str(payment.pk),
            "amount": format_money(amount),
            "channel": payment.channel,
            "captured_at": wire_time(at),
            "provider": payment.provider,
        },
    )


def _ledger_credit(payment: Payment, *, amount: Decimal, at: datetime) -> None:
    LedgerEntry.objects.create(
        client=payment.client,
        payment=payment,
        kind=LedgerKind.PAYMENT,
        amount=amount,
        note=payment.get_channel_display(),
        created_at=at,
    )
    events.payment_credited.send(sender=Payment, payment=payment, amount=amount)


def credit_final(payment: Payment, *, at: datetime, how: Any) -> None:
    """A new payment that is final when accepted (a terminal's, an agent's) is inserted and
    reaches the balance: the billing record first, so that the payment row is written once
    already carrying it, then the ledger credit and the client's notice ``how`` it was paid.
    The caller's transaction holds them all; the insert fails on a used receipt."""
    payment.capture_record = _capture_record(payment, amount=payment.amount, at=at)
    payment.save(force_insert=True)
    _ledger_credit(payment, amount=payment.amount, at=at)
    notify_client(payment, gettext_lazy("Payment of %(amount)s reached your balance"), how)


def _post_refund(payment: Payment, *, amount: Decimal, at: datetime) -> None:
    LedgerEntry.objects.create(
        client=payment.client,
        payment=payment,
        kind=LedgerKind.REFUND,
        amount=-amount,
        created_at=at,
    )
    outbox_record(
        type="payment.refunded",
        data={
            "contract": payment.client.contract_number,
            "payment_id": str(payment.pk),
            "amount": format_money(amount),
            "refunded_at": wire_time(at),
        },
    )


# --- the gateway's payment object -----------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """The gateway's payment object, validated."""

    payment_id: str
    order_id: str
    status: str
    amount: Decimal
    captured_amount: Decimal
    refunded_amount: Decimal
    currency: str
    capture_before: datetime | None
    # Optional, from networks that save cards (YooKassa): the saved method, and why a
    # payment was declined.
    saved_method_id: str = ""
    saved_method_title: str = ""
    decline_reason: str = ""


class InvalidMessage(ValueError):
    pass


def parse_snapshot(data: object) -> Snapshot:
    if not isinstance(data, dict):
        raise InvalidMessage("payment must be an object")

    def text(name: str, limit: int = 100) -> str:
        value = data.get(name)
        if not isinstance(value, str) or not value or len(value) > limit:
            raise InvalidMessage(f"payment.{name} must be a non-empty string")
        return value

    def money(name: str) -> Decimal:
        value = parse_wire_amount(data.get(name))
        if value is None:
            raise InvalidMessage(f"payment.{name} must be money with two decimals")
        return value

    status = text("status")
    if status not in GATEWAY_STATUSES:
        raise InvalidMessage(f"unknown payment.status {status[:40]!r}")
    capture_before = None
    if data.get("capture_before") is not None:
        capture_before = _parse_wire_time(data["capture_before"])
        if capture_before is None:
            raise InvalidMessage("payment.capture_before must be an RFC 3339 time")
    saved = data.get("saved_method")
    saved_id = saved_title = ""
    if saved is not None:
        if not isinstance(saved, dict):
            raise InvalidMessage("payment.saved_method must be an object")
        found_id, found_title = saved.get("id"), saved.get("title") or ""
        if not isinstance(found_id, str) or not 0 < len(found_id) <= 64:
            raise InvalidMessage("payment.saved_method.id must be a non-empty string")
        if not isinstance(found_title, str):
            raise InvalidMessage("payment.saved_method.title must be a string")
        saved_id, saved_title = found_id, found_title
    reason = data.get("decline_reason") or ""
    if not isinstance(reason, str):
        raise InvalidMessage("payment.decline_reason must be a string")
    return Snapshot(
        saved_method_id=saved_id,
        saved_method_title=saved_title[:100],
        decline_reason=reason[:40],
        payment_id=text("payment_id"),
        order_id=text("order_id"),
        status=status,
        amount=money("amount"),
        captured_amount=money("captured_amount"),
        refunded_amount=money("refunded_amount"),
        currency=text("currency", 10),
        capture_before=capture_before,
    )


def mismatch(payment: Payment, snap: Snapshot) -> str:
    """Why the gateway's object does not describe this payment ("" when it does)."""
    problems = []
    if snap.order_id != str(payment.pk):
        problems.append(f"order_id {snap.order_id[:40]!r} ≠ {payment.pk}")
    if payment.gateway_payment_id and snap.payment_id != payment.gateway_payment_id:
        problems.append(f"payment_id {snap.payment_id[:40]!r} ≠ {payment.gateway_payment_id!r}")
    if snap.amount != payment.amount:
        problems.append(f"amount {snap.amount} ≠ {payment.amount}")
    if snap.currency != payment.currency:
        problems.append(f"currency {snap.currency[:10]!r} ≠ {payment.currency}")
    if payment.channel != Channel.CARD:
        problems.append("the payment was made at a terminal, not by card")
    return "; ".join(problems)


def _moneyback_until(authorized_at: datetime, capture_before: datetime | None) -> datetime:
    until = authorized_at + timedelta(hours=settings.KABINET_MONEYBACK_HOURS)
    if capture_before is not None:
        until = min(until, capture_before - CAPTURE_MARGIN)
    return max(until, authorized_at)


def _authorize(payment: Payment, snap: Snapshot, now: datetime) -> None:
    payment.status = PaymentStatus.AUTHORIZED
    payment.authorized_at = now
    payment.capture_before = snap.capture_before
    payment.moneyback_until = _moneyback_until(now, snap.capture_before)


def _capture(payment: Payment, amount: Decimal, now: datetime) -> None:
    payment.status = PaymentStatus.CAPTURED
    payment.captured_amount = amount
    payment.captured_at = now
    post_capture(payment, amount=amount, at=now)
    if payment.autopay:
        notify_client(
            payment,
            gettext_lazy("Card autopay: %(amount)s charged and paid to your balance"),
            gettext_lazy(
                "The company's balance ran low, so the saved card was charged under contract "
                "%(contract)s. The receipt comes by e-mail."
            ),
        )
        return
    notify_client(
        payment,
        gettext_lazy("Payment of %(amount)s reached your balance"),
        gettext_lazy("The payment under contract %(contract)s is complete."),
    )


def _refund_to(payment: Payment, refunded: Decimal, now: datetime) -> None:
    delta = refunded - payment.refunded_amount
    if delta <= ZERO:
        return
    payment.refunded_amount = refunded
    if refunded == payment.captured_amount:
        payment.status = PaymentStatus.REFUNDED
        payment.closed_at = now
    _post_refund(payment, amount=delta, at=now)


@dataclass
class SyncResult:
    changes: list[str] = field(default_factory=list)
    conflict: str = ""


def _apply_snapshot(payment: Payment, snap: Snapshot, now: datetime) -> SyncResult:
    """Move the (locked) payment forward to what the gateway reports; never backwards.

    Works from the whole payment object, not the event type, so events arriving out of
    order (a refund before its capture) still leave the payment right.
    """
    result = SyncResult()
    local, remote = payment.status, snap.status
    if not payment.gateway_payment_id:
        payment.gateway_payment_id = snap.payment_id
    if local in (PaymentStatus.PENDING, PaymentStatus.FAILED):
        if remote == "pending":
            return result
        if remote in ("declined", "voided", "expired"):
            payment.status = remote
            payment.closed_at = now
            result.changes.append(remote)
            return result
        _authorize(payment, snap, now)
        result.changes.append("authorized")
        local = PaymentStatus.AUTHORIZED
    if local == PaymentStatus.AUTHORIZED:
        if snap.capture_before and payment.capture_before != snap.capture_before:
            payment.capture_before = snap.capture_before
            payment.moneyback_until = _moneyback_until(
                payment.authorized_at or now, snap.capture_before
            )
        if remote in ("voided", "expired"):
            payment.status = remote
            payment.closed_at = now
            result.changes.append(remote)
            if remote == "expired":
                notify_managers(
                    payment,
                    gettext_lazy("Hold of %(amount)s (contract %(contract)s) lapsed uncaptured"),
                    gettext_lazy("The money went back to the payer; the balance is unchanged."),
                )
            return result
        if remote == "declined":
            result.conflict = "the gateway reports declined for a held payment"
            return result
        if remote in ("captured", "refunded"):
            if snap.captured_amount <= ZERO or snap.captured_amount > payment.amount:
                result.conflict = f"the gateway reports a capture of {snap.captured_amount}"
                return result
            _capture(payment, snap.captured_amount, now)
            result.changes.append("captured")
            local = PaymentStatus.CAPTURED
    if local == PaymentStatus.CAPTURED:
        if remote in ("captured", "refunded"):
            if snap.captured_amount != payment.captured_amount:
                result.conflict = (
                    f"the gateway reports {snap.captured_amount} captured, "
                    f"the website {payment.captured_amount}"
                )
            elif snap.refunded_amount > payment.captured_amount:
                result.conflict = f"the gateway reports {snap.refunded_amount} refunded"
            elif snap.refunded_amount > payment.refunded_amount:
                _refund_to(payment, snap.refunded_amount, now)
                result.changes.append("refunded")
        elif remote in ("voided", "expired", "declined"):
            result.conflict = f"the gateway reports {remote} for a captured payment"
        return result
    closed = (PaymentStatus.DECLINED, PaymentStatus.VOIDED, PaymentStatus.EXPIRED)
    if local in closed and remote in ("captured", "refunded", "authorized"):
        result.conflict = f"the gateway reports {remote}, the website has {local}"
    return result


def sync_locked(payment: Payment, snap: Snapshot, *, now: datetime) -> SyncResult:
    """Apply a snapshot to a locked payment and save it; flags what cannot be applied."""
    result = _apply_snapshot(payment, snap, now)
    payment.save()
    if result.conflict:
        flag(payment, result.conflict)
    if payment.save_card and snap.saved_method_id and "authorized" in result.changes:
        events.card_saved.send(
            sender=Payment,
            payment=payment,
            method_id=snap.saved_method_id,
            title=snap.saved_method_title,
        )
    if "declined" in result.changes:
        events.payment_declined.send(sender=Payment, payment=payment, reason=snap.decline_reason)
    return result

"""Payment state changes: card payments through the gateway, terminal payments, the ledger.

Every change locks the payment row (``select_for_update``) and runs in one transaction
with its ledger entries, billing outbox records, audit entries and notices. Nothing moves
backwards; each gateway event applies at most once (a unique ``event_id``); calls to the
gateway are made outside transactions, with an idempotency key stored before the first try.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kabinet.accounts.models import Client, Role, User
from kabinet.audit.services import audit_record, audit_snapshot
from kabinet.exchange.models import OutboxRecord
from kabinet.exchange.outbox import outbox_record
from kabinet.lib.money import LocalMoney, format_money
from kabinet.notifications.models import Category
from kabinet.notifications.services import notification_send

from .gateway import GatewayAnswer, GatewayUnavailable
from .models import (
    ZERO,
    AgentTransaction,
    Channel,
    GatewayMessage,
    GatewayOperation,
    LedgerEntry,
    LedgerKind,
    Method,
    OperationKind,
    OperationState,
    Payment,
    PaymentStatus,
)
from .providers import card_provider, pay_method, pay_methods

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


def client_users(client: Client) -> list[User]:
    return [
        m.user
        for m in client.memberships.select_related("user").filter(user__is_active=True)  # type: ignore[attr-defined]
    ]


def managers_for(client: Client) -> list[User]:
    """The client's manager, or every manager when the client has none."""
    manager = client.manager
    if manager is not None and manager.is_active:
        return [manager]
    return list(User.objects.filter(role__in=[Role.MANAGER, Role.ADMIN], is_active=True))


def _money_text(amount: Decimal) -> LocalMoney:
    return LocalMoney(amount)


def _manager_url(payment: Payment) -> str:
    return reverse("manager:payment_detail", args=[payment.pk])


def _cabinet_url(payment: Payment) -> str:
    return reverse("cabinet:payment_receipt", args=[payment.pk])


def _notify_client(payment: Payment, title: Any, body: Any = "", **params: Any) -> None:
    notification_send(
        users=client_users(payment.client),
        category=Category.PAYMENT,
        title=title,
        body=body,
        params={
            "amount": _money_text(payment.amount),
            "contract": payment.client.contract_number,
            **params,
        },
        url=_cabinet_url(payment),
    )


def _notify_managers(payment: Payment, title: Any, body: Any = "", **params: Any) -> None:
    notification_send(
        users=managers_for(payment.client),
        category=Category.PAYMENT,
        title=title,
        body=body,
        params={
            "amount": _money_text(payment.amount),
            "contract": payment.client.contract_number,
            "payment": payment.short_id,
            **params,
        },
        url=_manager_url(payment),
    )


def _flag(payment: Payment, reason: str) -> None:
    """Mark a payment for a manager's attention; the manager hears of each new reason."""
    if payment.flagged and reason in payment.flag_reason:
        return
    now = timezone.now()
    payment.flag_reason = f"{payment.flag_reason}\n{reason}".strip()
    payment.flagged = True
    payment.flagged_at = payment.flagged_at or now
    payment.save(update_fields=["flagged", "flag_reason", "flagged_at", "updated_at"])
    _notify_managers(
        payment,
        gettext_lazy("Payment %(payment)s of contract %(contract)s needs attention"),
        gettext_lazy("%(reason)s"),
        reason=reason,
    )


def _lock(payment_id: Any) -> Payment:
    return (
        Payment.objects.select_for_update(of=("self",)).select_related("client").get(pk=payment_id)
    )


# --- ledger and billing ---------------------------------------------------------------------


def _post_capture(payment: Payment, *, amount: Decimal, at: datetime) -> None:
    """Money reaches the balance: a ledger credit and a billing record, in this transaction."""
    LedgerEntry.objects.create(
        client=payment.client,
        payment=payment,
        kind=LedgerKind.PAYMENT,
        amount=amount,
        note=payment.get_channel_display(),
        created_at=at,
    )
    payment.capture_record = outbox_record(
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
    return Snapshot(
        payment_id=text("payment_id"),
        order_id=text("order_id"),
        status=status,
        amount=money("amount"),
        captured_amount=money("captured_amount"),
        refunded_amount=money("refunded_amount"),
        currency=text("currency", 10),
        capture_before=capture_before,
    )


def _mismatch(payment: Payment, snap: Snapshot) -> str:
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
    _post_capture(payment, amount=amount, at=now)
    _notify_client(
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
                _notify_managers(
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


def _sync_locked(payment: Payment, snap: Snapshot, *, now: datetime) -> SyncResult:
    """Apply a snapshot to a locked payment and save it; flags what cannot be applied."""
    result = _apply_snapshot(payment, snap, now)
    payment.save()
    if result.conflict:
        _flag(payment, result.conflict)
    return result


# --- starting a card payment -------------------------------------------------------------


def payment_start_card(
    *,
    client: Client,
    amount: Decimal,
    email: str = "",
    actor: User | None = None,
    method: str = "",
) -> Payment:
    """Create a card (or SBP) payment and ask its provider for it; returns it with the
    address the payer goes to next (``payment_url``).

    ``method`` is a pay method's key (``yookassa:sbp``); empty means the first one offered.
    Raises GatewayUnavailable when the provider gives no usable answer: the payment is
    then marked "not started" (nothing was charged) and the payer is told to try later.
    """
    if client.is_closed:
        raise ValidationError(_("This contract is closed and does not accept payments."))
    offered = pay_methods()
    chosen = pay_method(method) if method else (offered[0] if offered else None)
    if chosen is None:
        raise ValidationError(_("This way of paying is not available. Choose another."))
    provider = card_provider(chosen.provider)
    site = settings.SITE_URL
    with transaction.atomic():
        payment = Payment.objects.create(
            client=client,
            channel=Channel.CARD,
            provider=chosen.provider,
            method=chosen.method,
            status=PaymentStatus.PENDING,
            amount=amount,
            email=email,
            created_by=actor if actor is not None and actor.pk else None,
        )
        call = provider.create_request(
            payment,
            return_url=site + reverse("site:pay_status", args=[payment.pk]),
            notify_url=site + reverse("site:pay_notify"),
        )
        operation = GatewayOperation.objects.create(
            payment=payment,
            kind=OperationKind.CREATE,
            path=call.path,
            body=call.body,
            amount=amount,
        )
    try:
        answer = _run(operation)
    except GatewayUnavailable as exc:
        _start_failed(payment, operation, str(exc))
        raise
    started = provider.started(answer)
    if started is None:
        reason = f"HTTP {answer.status} {answer.error_code}".strip()
        _start_failed(payment, operation, reason, refused=True)
        raise GatewayUnavailable(reason)
    try:
        with transaction.atomic():
            payment = _lock(payment.pk)
            payment.gateway_payment_id = started.gateway_payment_id
            payment.payment_url = started.payment_url
            payment.save(update_fields=["gateway_payment_id", "payment_url", "updated_at"])
            _finish(operation, OperationState.DONE)
    except IntegrityError as exc:
        # Another payment already has that gateway id: something is badly wrong there.
        _start_failed(payment, operation, "duplicate gateway payment_id", refused=True)
        raise GatewayUnavailable("duplicate gateway payment_id") from exc
    return payment


def payer_next_url(payment: Payment) -> str:
    """Where the payer goes after starting: the network's page, or (SBP) our page with the
    QR code and the bank-app link."""
    if payment.method == Method.SBP:
        return reverse("site:pay_status", args=[payment.pk])
    return payment.payment_url


def _start_failed(
    payment: Payment, operation: GatewayOperation, reason: str, *, refused: bool = False
) -> None:
    with transaction.atomic():
        payment = _lock(payment.pk)
        if payment.status == PaymentStatus.PENDING and not payment.gateway_payment_id:
            payment.status = PaymentStatus.FAILED
            payment.closed_at = timezone.now()
            payment.save(update_fields=["status", "closed_at", "updated_at"])
        GatewayOperation.objects.filter(pk=operation.pk).update(
            state=OperationState.REFUSED if refused else OperationState.PENDING,
            last_error=reason[:500],
        )


def _run(operation: GatewayOperation) -> GatewayAnswer:
    """Send (or send again) one stored operation: same key, same body.

    A 5xx answer is the gateway failing, not refusing: the operation stays open and the
    next try sends the same key again.
    """
    GatewayOperation.objects.filter(pk=operation.pk).update(attempts=operation.attempts + 1)
    operation.attempts += 1
    try:
        answer = card_provider(operation.payment.provider).send(operation)
        if answer.status >= 500:
            raise GatewayUnavailable(f"HTTP {answer.status} {answer.error_code}".strip())
    except GatewayUnavailable as exc:
        GatewayOperation.objects.filter(pk=operation.pk).update(last_error=str(exc)[:500])
        raise
    return answer


def _finish(operation: GatewayOperation, state: str, error: str = "") -> bool:
    """Close an operation once; False when it was already closed (a concurrent retry)."""
    return bool(
        GatewayOperation.objects.filter(pk=operation.pk, state=OperationState.PENDING).update(
            state=state, finished_at=timezone.now(), last_error=error[:500]
        )
    )


# --- gateway notifications ----------------------------------------------------------------


@dataclass(frozen=True)
class EventResult:
    status: int
    body: dict[str, Any]
    outcome: str
    payment: Payment | None = None


def _find_for_snapshot(snap: Snapshot) -> tuple[Payment | None, bool]:
    """The payment an object describes, locked; the flag says it was found by order_id."""
    try:
        order_id = uuid.UUID(snap.order_id)
    except ValueError:
        order_id = None
    if order_id is not None:
        payment = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("client")
            .filter(pk=order_id)
            .first()
        )
        if payment is not None:
            return payment, True
    payment = (
        Payment.objects.select_for_update(of=("self",))
        .select_related("client")
        .filter(gateway_payment_id=snap.payment_id)
        .first()
    )
    return payment, False


def payment_receive_event(*, message: GatewayMessage, body: bytes) -> EventResult:
    """Apply one verified gateway notification (already stored as ``message``)."""
    try:
        event = _parse_event(body)
    except InvalidMessage as exc:
        return _event_outcome(
            message, None, "invalid", 400, {"error": "invalid", "message": str(exc)}
        )
    snap: Snapshot = event["payment"]
    event_id: str = event["event_id"]
    GatewayMessage.objects.filter(pk=message.pk).update(
        reference=event_id, event_type=event["type"]
    )
    now = timezone.now()
    with transaction.atomic():
        payment, by_order = _find_for_snapshot(snap)
        if payment is None:
            return _event_outcome(
                message,
                None,
                "unknown_payment",
                409,
                {"error": "unknown_payment", "message": "no payment with this order_id"},
            )
        if GatewayMessage.objects.filter(event_id=event_id).exists():
            return _event_outcome(message, payment, "duplicate", 200, {"received": True})
        problem = (
            _mismatch(payment, snap)
            if by_order
            else f"order_id {snap.order_id[:40]!r} is not this payment's"
        )
        if problem:
            _flag(payment, f"Gateway event {event_id[:40]}: {problem}")
            return _event_outcome(
                message, payment, "mismatch", 409, {"error": "mismatch", "message": problem}
            )
        try:
            with transaction.atomic():
                GatewayMessage.objects.filter(pk=message.pk).update(event_id=event_id)
        except IntegrityError:
            return _event_outcome(message, payment, "duplicate", 200, {"received": True})
        result = _sync_locked(payment, snap, now=now)
        outcome = "applied" if result.changes else "ignored"
        note = ", ".join(result.changes) or f"nothing to do: the payment is {payment.status}"
        if result.conflict:
            outcome, note = "conflict", result.conflict
        return _event_outcome(message, payment, outcome, 200, {"received": True}, note)


def _event_outcome(
    message: GatewayMessage,
    payment: Payment | None,
    outcome: str,
    status: int,
    body: dict[str, Any],
    note: str = "",
) -> EventResult:
    GatewayMessage.objects.filter(pk=message.pk).update(
        outcome=outcome, payment=payment, note=note or body.get("message", "")
    )
    return EventResult(status=status, body=body, outcome=outcome, payment=payment)


def _parse_event(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidMessage("body must be UTF-8 JSON") from exc
    if not isinstance(data, dict):
        raise InvalidMessage("body must be a JSON object")
    event_id = data.get("event_id")
    if not isinstance(event_id, str) or not event_id.strip() or len(event_id) > 100:
        raise InvalidMessage("event_id must be a non-empty string of at most 100 characters")
    event_type = data.get("type")
    if event_type not in EVENT_TYPES:
        raise InvalidMessage("unknown event type")
    return {
        "event_id": event_id,
        "type": event_type,
        "payment": parse_snapshot(data.get("payment")),
    }


# --- asking the gateway -------------------------------------------------------------------


def payment_sync(*, payment: Payment) -> Payment:
    """Ask the gateway (GET) for the payment and apply what it says."""
    if payment.channel != Channel.CARD or not payment.gateway_payment_id:
        return payment
    Payment.objects.filter(pk=payment.pk).update(last_synced_at=timezone.now())
    answer = card_provider(payment.provider).fetch(payment)
    if answer.status != 200:
        return payment
    try:
        snap = parse_snapshot(answer.data)
    except InvalidMessage as exc:
        logger.warning("gateway object for %s is invalid: %s", payment.pk, exc)
        return payment
    with transaction.atomic():
        payment = _lock(payment.pk)
        problem = _mismatch(payment, snap)
        if problem:
            _flag(payment, f"Gateway answer: {problem}")
            return payment
        _sync_locked(payment, snap, now=timezone.now())
    return payment


def payment_refresh_for_payer(*, payment: Payment) -> Payment:
    """While no event has moved the payment, the payer's page asks the gateway itself."""
    if payment.status != PaymentStatus.PENDING or not payment.gateway_payment_id:
        return payment
    if payment.last_synced_at and timezone.now() - payment.last_synced_at < SYNC_INTERVAL:
        return payment
    try:
        return payment_sync(payment=payment)
    except GatewayUnavailable:
        return payment


# --- capture --------------------------------------------------------------------------------


def payment_capture(*, payment_id: Any) -> Payment:
    """Capture a held payment in full. Safe to run twice or concurrently: the operation
    (key and body) is stored before the first call, and the gateway replays its answer."""
    with transaction.atomic():
        payment = _lock(payment_id)
        if payment.status != PaymentStatus.AUTHORIZED:
            return payment
        operation = GatewayOperation.objects.filter(
            payment=payment, kind=OperationKind.CAPTURE
        ).first()
        if operation is None:
            call = card_provider(payment.provider).capture_request(payment, payment.amount)
            operation = GatewayOperation.objects.create(
                payment=payment,
                kind=OperationKind.CAPTURE,
                path=call.path,
                body=call.body,
                amount=payment.amount,
            )
    if operation.state == OperationState.REFUSED:
        return payment
    answer = _run(operation)
    return _conclude(operation, answer)


def _conclude(operation: GatewayOperation, answer: GatewayAnswer) -> Payment:
    """Apply the gateway's answer to an operation; on a refusal, learn the truth by GET."""
    payment = operation.payment
    if answer.status == 200:
        try:
            snap = parse_snapshot(answer.data)
        except InvalidMessage as exc:
            raise GatewayUnavailable(f"invalid payment object: {exc}") from exc
        with transaction.atomic():
            payment = _lock(payment.pk)
            problem = _mismatch(payment, snap)
            if problem:
                _flag(payment, f"Gateway answer to {operation.kind}: {problem}")
                _finish(operation, OperationState.REFUSED, problem)
                return payment
            _sync_locked(payment, snap, now=timezone.now())
            _finish(operation, OperationState.DONE)
        return payment
    error = f"HTTP {answer.status} {answer.error_code}".strip()
    _finish(operation, OperationState.REFUSED, error)
    with contextlib.suppress(GatewayUnavailable):
        payment = payment_sync(payment=payment)
    if answer.status == 400:
        with transaction.atomic():
            _flag(_lock(payment.pk), f"The gateway refused to {operation.kind}: {error}")
    return payment


@dataclass
class DueReport:
    captured: int = 0
    failed: int = 0
    alerted: int = 0
    synced: int = 0


def payment_capture_due(*, now: datetime | None = None, limit: int = 200) -> DueReport:
    """Capture every hold whose money-back window has ended, warn managers about holds
    close to lapsing uncaptured, and ask the gateway about payments no event came for."""
    now = now or timezone.now()
    report = DueReport()
    due = Payment.objects.filter(
        channel=Channel.CARD, status=PaymentStatus.AUTHORIZED, moneyback_until__lte=now
    ).order_by("capture_before", "moneyback_until")
    for pk in list(due.values_list("pk", flat=True)[:limit]):
        try:
            payment = payment_capture(payment_id=pk)
        except GatewayUnavailable as exc:
            logger.warning("capture of %s failed: %s", pk, exc)
            report.failed += 1
            continue
        if payment.status in (PaymentStatus.CAPTURED, PaymentStatus.REFUNDED):
            report.captured += 1
        else:
            report.failed += 1
    report.alerted = _alert_lapsing_holds(now)
    report.synced = _sync_silent(now)
    return report


def _alert_lapsing_holds(now: datetime) -> int:
    soon = now + timedelta(hours=settings.KABINET_HOLD_ALERT_HOURS)
    lapsing = Payment.objects.filter(
        channel=Channel.CARD,
        status=PaymentStatus.AUTHORIZED,
        moneyback_until__lte=now,
        capture_before__lte=soon,
        lapse_alerted_at__isnull=True,
    ).select_related("client", "client__manager")
    alerted = 0
    for payment in lapsing[:200]:
        with transaction.atomic():
            # A conditional update: two schedulers cannot both send the alert.
            won = Payment.objects.filter(pk=payment.pk, lapse_alerted_at__isnull=True).update(
                lapse_alerted_at=now
            )
            if not won:
                continue
            _notify_managers(
                payment,
                gettext_lazy("Hold %(payment)s of contract %(contract)s is not captured yet"),
                gettext_lazy(
                    "The hold of %(amount)s lapses at %(lapses)s and automatic capture has "
                    "not succeeded. Check the gateway."
                ),
                lapses=wire_time(payment.capture_before) if payment.capture_before else "?",
            )
            alerted += 1
    return alerted


def _sync_silent(now: datetime) -> int:
    """Notifications can be lost for good (the gateway gives up after a day): ask instead."""
    stale = Payment.objects.filter(
        channel=Channel.CARD,
        status=PaymentStatus.PENDING,
        created_at__lte=now - timedelta(minutes=15),
        created_at__gte=now - timedelta(days=2),
    ).exclude(gateway_payment_id="")
    stale = stale.exclude(last_synced_at__gte=now - timedelta(minutes=30))
    synced = 0
    for payment in stale[:50]:
        try:
            payment_sync(payment=payment)
        except GatewayUnavailable:
            break
        synced += 1
    return synced


# --- manager actions --------------------------------------------------------------------------


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give a reason."))
    return reason[:500]


def payment_void(
    *, actor: User, payment: Payment, reason: str, request: HttpRequest | None = None
) -> Payment:
    """Money-back: release a held card payment while its window is open."""
    reason = _require_reason(reason)
    with transaction.atomic():
        payment = _lock(payment.pk)
        if payment.status != PaymentStatus.AUTHORIZED or payment.channel != Channel.CARD:
            raise ValidationError(_("Only a held card payment can be returned."))
        if not payment.moneyback_open():
            raise ValidationError(
                _("The money-back window has ended; the payment is being captured.")
            )
        operation = GatewayOperation.objects.filter(
            payment=payment, kind=OperationKind.VOID
        ).first()
        if operation is None:
            call = card_provider(payment.provider).void_request(payment, reason)
            operation = GatewayOperation.objects.create(
                payment=payment,
                kind=OperationKind.VOID,
                path=call.path,
                body=call.body,
                reason=reason,
                actor=actor,
            )
    return _manager_operation(operation, actor=actor, action="payment.void", request=request)


def payment_refund(
    *,
    actor: User,
    payment: Payment,
    amount: Decimal,
    reason: str,
    key: uuid.UUID,
    request: HttpRequest | None = None,
) -> Payment:
    """Refund all or part of a captured card payment. ``key`` comes from the confirmation
    form, so submitting the same form twice refunds once."""
    reason = _require_reason(reason)
    with transaction.atomic():
        payment = _lock(payment.pk)
        existing = GatewayOperation.objects.filter(key=key).first()
        if existing is not None:
            if existing.payment_id != payment.pk or existing.kind != OperationKind.REFUND:
                raise ValidationError(_("This form was already used. Reload the page."))
            operation = existing
            if operation.state == OperationState.DONE:
                return payment
        else:
            if not payment.can_refund():
                raise ValidationError(_("Only a paid card payment can be refunded."))
            if amount <= ZERO or amount > payment.refundable_amount:
                raise ValidationError(
                    _("The amount must be more than 0 and at most %(max)s.")
                    % {"max": format_money(payment.refundable_amount)}
                )
            call = card_provider(payment.provider).refund_request(payment, amount, reason)
            operation = GatewayOperation.objects.create(
                key=key,
                payment=payment,
                kind=OperationKind.REFUND,
                path=call.path,
                body=call.body,
                amount=amount,
                reason=reason,
                actor=actor,
            )
    return _manager_operation(operation, actor=actor, action="payment.refund", request=request)


def _manager_operation(
    operation: GatewayOperation, *, actor: User, action: str, request: HttpRequest | None
) -> Payment:
    if operation.state == OperationState.REFUSED:
        raise ValidationError(
            _("The gateway refused this operation before: %(error)s")
            % {"error": operation.last_error}
        )
    before = audit_snapshot(operation.payment, AUDIT_FIELDS)
    try:
        answer = _run(operation)
    except GatewayUnavailable as exc:
        raise ValidationError(
            _("The payment gateway is not answering; nothing has changed. Try again shortly.")
        ) from exc
    if answer.status != 200:
        _conclude(operation, answer)
        raise ValidationError(
            _("The gateway refused: %(error)s.")
            % {"error": (answer.data or {}).get("message") or f"HTTP {answer.status}"}
        )
    try:
        snap = parse_snapshot(answer.data)
    except InvalidMessage as exc:
        raise ValidationError(
            _("The gateway's answer was not understood; nothing changed.")
        ) from exc
    with transaction.atomic():
        payment = _lock(operation.payment_id)
        problem = _mismatch(payment, snap)
        if problem:
            _flag(payment, f"Gateway answer to {operation.kind}: {problem}")
            _finish(operation, OperationState.REFUSED, problem)
            raise ValidationError(_("The gateway's answer does not match this payment."))
        _sync_locked(payment, snap, now=timezone.now())
        if _finish(operation, OperationState.DONE):
            audit_record(
                actor=actor,
                action=action,
                obj=payment,
                before=before,
                after={
                    **audit_snapshot(payment, AUDIT_FIELDS),
                    **({"refund": format_money(operation.amount)} if operation.amount else {}),
                },
                comment=operation.reason,
                request=request,
            )
            if operation.kind == OperationKind.VOID:
                title = gettext_lazy("Your payment of %(amount)s was returned to the payer")
            else:
                title = gettext_lazy("%(refund)s of your payment of %(amount)s was refunded")
            _notify_client(
                payment,
                title,
                gettext_lazy("Reason: %(reason)s"),
                reason=operation.reason,
                refund=_money_text(operation.amount or ZERO),
            )
    return payment


def payment_flag_clear(
    *, actor: User, payment: Payment, note: str, request: HttpRequest | None = None
) -> Payment:
    note = _require_reason(note)
    with transaction.atomic():
        payment = _lock(payment.pk)
        if not payment.flagged:
            return payment
        before = audit_snapshot(payment, ("flagged", "flag_reason"))
        payment.flagged = False
        payment.save(update_fields=["flagged", "updated_at"])
        audit_record(
            actor=actor,
            action="payment.flag_clear",
            obj=payment,
            before=before,
            after=audit_snapshot(payment, ("flagged", "flag_reason")),
            comment=note,
            request=request,
        )
    return payment


# --- agent networks (providers/osmp.py and the like) ---------------------------------------


class AgentTxnConflict(Exception):
    """The agent's transaction id was used before with another account or sum."""


@dataclass(frozen=True)
class AgentAccepted:
    payment: Payment
    transaction: AgentTransaction
    repeated: bool  # the agent sent this transaction before: nothing more was credited


def payment_accept_agent(
    *, provider: str, txn_id: str, client: Client, amount: Decimal, txn_date: str
) -> AgentAccepted:
    """Credit a payment an agent network accepted. Final at once; idempotent on the network's
    transaction id, also when the same id arrives on several connections at the same moment:
    the unique (provider, txn_id) lets exactly one insert through, the others answer as it."""
    with transaction.atomic():
        existing = _agent_txn(provider, txn_id)
        if existing is not None:
            return _agent_repeat(existing, client, amount)
        now = timezone.now()
        try:
            with transaction.atomic():
                payment = Payment.objects.create(
                    client=client,
                    channel=Channel.TERMINAL,
                    provider=provider,
                    method=Method.TERMINAL,
                    status=PaymentStatus.ACCEPTED,
                    amount=amount,
                    captured_amount=amount,
                    receipt=f"{provider}:{txn_id}",
                    terminal_date=txn_date[:19],
                    accepted_at=now,
                    captured_at=now,
                )
                txn = AgentTransaction.objects.create(
                    provider=provider,
                    txn_id=txn_id,
                    account=client.contract_number,
                    amount=amount,
                    txn_date=txn_date,
                    payment=payment,
                )
        except IntegrityError:
            existing = _agent_txn(provider, txn_id)
            if existing is None:
                raise
            return _agent_repeat(existing, client, amount)
        _post_capture(payment, amount=amount, at=now)
        payment.save(update_fields=["capture_record"])
        _notify_client(
            payment,
            gettext_lazy("Payment of %(amount)s reached your balance"),
            gettext_lazy("Paid through a payment agent under contract %(contract)s."),
        )
    return AgentAccepted(payment, txn, repeated=False)


def _agent_txn(provider: str, txn_id: str) -> AgentTransaction | None:
    return (
        AgentTransaction.objects.select_for_update(of=("self",))
        .select_related("payment")
        .filter(provider=provider, txn_id=txn_id)
        .first()
    )


def _agent_repeat(txn: AgentTransaction, client: Client, amount: Decimal) -> AgentAccepted:
    if txn.account != client.contract_number or txn.amount != amount:
        raise AgentTxnConflict(f"txn_id {txn.txn_id} was paid to {txn.account} for {txn.amount}")
    return AgentAccepted(txn.payment, txn, repeated=True)


# --- terminal protocol ----------------------------------------------------------------------

_NUMBER_RE = re.compile(r"[0-9]{1,20}")
_RECEIPT_RE = re.compile(r"[0-9]{3,20}")
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}")


class Code:
    OK = 0
    UNKNOWN_ACTION = 1
    ACCOUNT_NOT_FOUND = 2
    BAD_AMOUNT = 3
    BAD_RECEIPT = 4
    BAD_DATE = 5
    NOT_FOUND = 6
    ACCOUNT_CLOSED = 7
    CANNOT_CANCEL = 9
    INTERNAL = 10
    BAD_SIGNATURE = -4


@dataclass(frozen=True)
class TerminalAnswer:
    code: int
    message: str
    authcode: str = ""
    date: str = ""
    payment: Payment | None = None


def terminal_time(moment: datetime) -> str:
    """Dates in terminal answers: the spec's YYYY-MM-DDTHH:MM:SS, in UTC like the gateway's."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _answer(code: int, message: str, payment: Payment | None = None) -> TerminalAnswer:
    if payment is None:
        return TerminalAnswer(code, message, date=terminal_time(timezone.now()))
    return TerminalAnswer(
        code,
        message,
        authcode=str(payment.pk),
        date=terminal_time(payment.accepted_at or payment.created_at),
        payment=payment,
    )


def _terminal_amount(value: str) -> Decimal | None:
    amount = parse_wire_amount(value)
    if amount is None:
        return None
    if not settings.KABINET_PAYMENT_MIN <= amount <= settings.KABINET_PAYMENT_MAX:
        return None
    return amount


def _terminal_date(value: str) -> bool:
    if not _DATE_RE.fullmatch(value):
        return False
    try:
        datetime.strptime(value, "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return False
    return True


def terminal_handle(*, params: dict[str, str]) -> TerminalAnswer:
    """One verified terminal request: ``check`` / ``payment`` / ``status`` / ``cancel``."""
    action = params.get("action", "")
    handler = {
        "check": _terminal_check,
        "payment": _terminal_payment,
        "status": _terminal_status,
        "cancel": _terminal_cancel,
    }.get(action)
    if handler is None:
        return _answer(Code.UNKNOWN_ACTION, "unknown action")
    return handler(params)


def _optional_checks(params: dict[str, str]) -> TerminalAnswer | None:
    if params.get("amount") and _terminal_amount(params["amount"]) is None:
        return _answer(Code.BAD_AMOUNT, "bad amount")
    if params.get("receipt") and not _RECEIPT_RE.fullmatch(params["receipt"]):
        return _answer(Code.BAD_RECEIPT, "bad receipt")
    if params.get("date") and not _terminal_date(params["date"]):
        return _answer(Code.BAD_DATE, "bad date")
    return None


def _terminal_check(params: dict[str, str]) -> TerminalAnswer:
    number = params.get("number", "")
    client = (
        Client.objects.filter(contract_number=number).first()
        if _NUMBER_RE.fullmatch(number)
        else None
    )
    if client is None:
        return _answer(Code.ACCOUNT_NOT_FOUND, "account not found")
    if client.is_closed:
        return _answer(Code.ACCOUNT_CLOSED, "account does not accept payments")
    return _optional_checks(params) or _answer(Code.OK, "OK")


def _terminal_payment(params: dict[str, str]) -> TerminalAnswer:
    number, receipt, date = (params.get(k, "") for k in ("number", "receipt", "date"))
    if not _NUMBER_RE.fullmatch(number):
        return _answer(Code.ACCOUNT_NOT_FOUND, "account not found")
    amount = _terminal_amount(params.get("amount", ""))
    if amount is None:
        return _answer(Code.BAD_AMOUNT, "bad amount")
    if not _RECEIPT_RE.fullmatch(receipt):
        return _answer(Code.BAD_RECEIPT, "bad receipt")
    if not _terminal_date(date):
        return _answer(Code.BAD_DATE, "bad date")
    with transaction.atomic():
        existing = _by_receipt(receipt)
        if existing is not None:
            return _replay(existing, number, amount)
        client = (
            Client.objects.select_for_update(of=("self",)).filter(contract_number=number).first()
        )
        if client is None:
            return _answer(Code.ACCOUNT_NOT_FOUND, "account not found")
        if client.is_closed:
            return _answer(Code.ACCOUNT_CLOSED, "account does not accept payments")
        now = timezone.now()
        try:
            with transaction.atomic():
                payment = Payment.objects.create(
                    client=client,
                    channel=Channel.TERMINAL,
                    status=PaymentStatus.ACCEPTED,
                    amount=amount,
                    captured_amount=amount,
                    receipt=receipt,
                    terminal_date=date,
                    accepted_at=now,
                    captured_at=now,
                    moneyback_until=now + timedelta(hours=settings.KABINET_MONEYBACK_HOURS),
                )
        except IntegrityError:
            # A concurrent request with this receipt committed first: answer as it did.
            existing = _by_receipt(receipt)
            if existing is None:
                raise
            return _replay(existing, number, amount)
        _post_capture(payment, amount=amount, at=now)
        payment.save(update_fields=["capture_record"])
        _notify_client(
            payment,
            gettext_lazy("Payment of %(amount)s reached your balance"),
            gettext_lazy("Paid at a payment terminal under contract %(contract)s."),
        )
        return _answer(Code.OK, "OK", payment)


def _by_receipt(receipt: str) -> Payment | None:
    return (
        Payment.objects.select_for_update(of=("self",))
        .select_related("client")
        .filter(receipt=receipt)
        .first()
    )


def _replay(payment: Payment, number: str, amount: Decimal) -> TerminalAnswer:
    if payment.client.contract_number != number or payment.amount != amount:
        return _answer(Code.BAD_RECEIPT, "receipt already used for another payment")
    return _answer(Code.OK, "OK", payment)


def _terminal_status(params: dict[str, str]) -> TerminalAnswer:
    receipt = params.get("receipt", "")
    if not _RECEIPT_RE.fullmatch(receipt):
        return _answer(Code.BAD_RECEIPT, "bad receipt")
    payment = Payment.objects.filter(receipt=receipt).first()
    if payment is None:
        return _answer(Code.NOT_FOUND, "payment not found")
    return _answer(Code.OK, payment.status, payment)


def _terminal_cancel(params: dict[str, str]) -> TerminalAnswer:
    receipt = params.get("receipt", "")
    if not _RECEIPT_RE.fullmatch(receipt):
        return _answer(Code.BAD_RECEIPT, "bad receipt")
    with transaction.atomic():
        payment = _by_receipt(receipt)
        if payment is None:
            return _answer(Code.NOT_FOUND, "payment not found")
        if payment.status == PaymentStatus.CANCELLED:
            return _answer(Code.OK, "cancelled", payment)
        if not payment.moneyback_open():
            return _answer(Code.CANNOT_CANCEL, "cannot cancel: the money-back window has passed")
        if payment.capture_record_id is not None:
            # Withdrawn only while not exported; an export that got there first wins.
            withdrawn, _ = OutboxRecord.objects.filter(
                pk=payment.capture_record_id, package_sequence__isnull=True
            ).delete()
            if not withdrawn:
                return _answer(Code.CANNOT_CANCEL, "cannot cancel: already exported to billing")
        else:
            # No billing record to withdraw: it cannot be told apart from an exported one.
            return _answer(Code.CANNOT_CANCEL, "cannot cancel")
        now = timezone.now()
        LedgerEntry.objects.create(
            client=payment.client,
            payment=payment,
            kind=LedgerKind.CANCELLATION,
            amount=-payment.amount,
            created_at=now,
        )
        payment.status = PaymentStatus.CANCELLED
        payment.capture_record = None
        payment.closed_at = now
        payment.save(update_fields=["status", "capture_record", "closed_at", "updated_at"])
        _notify_client(
            payment,
            gettext_lazy("Terminal payment of %(amount)s was cancelled"),
            gettext_lazy("The terminal network cancelled it; the balance is corrected."),
        )
        return _answer(Code.OK, "cancelled", payment)

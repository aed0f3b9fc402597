"""Card payments and managers' operations on payments.

Starting a card payment, the gateway's events, asking the provider, capture (also the
automatic one), and the managers' void, refund and flag clearing. Calls to a provider are
made outside transactions, with an idempotency key stored before the first try; what comes
back is applied by the shared state machine (``kabinet.payments.state``). Agent networks
are in ``kabinet.payments.agents``, Kabinet's own terminal protocol in
``kabinet.payments.providers.terminal``.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kabinet.accounts.models import Client, User
from kabinet.audit.services import audit_record, audit_snapshot
from kabinet.lib.money import format_money
from kabinet.lib.prepared import prepared

from .gateway import GatewayAnswer, GatewayUnavailable
from .models import (
    ZERO,
    Channel,
    GatewayMessage,
    GatewayOperation,
    Method,
    OperationKind,
    OperationState,
    Payment,
    PaymentStatus,
)
from .providers import card_provider, pay_method, pay_methods
from .state import (
    AUDIT_FIELDS,
    EVENT_TYPES,
    SYNC_INTERVAL,
    InvalidMessage,
    Snapshot,
    flag,
    lock,
    logger,
    mismatch,
    money_text,
    notify_client,
    notify_managers,
    parse_snapshot,
    sync_locked,
    wire_time,
)

# --- starting a card payment -------------------------------------------------------------


def payment_start_card(
    *,
    client: Client,
    amount: Decimal,
    email: str = "",
    actor: User | None = None,
    method: str = "",
    save_card: bool = False,
) -> Payment:
    """Create a card (or SBP) payment and ask its provider for it; returns it with the
    address the payer goes to next (``payment_url``).

    ``method`` is a pay method's key (``yookassa:sbp``); empty means the first one offered.
    Raises GatewayUnavailable when the provider gives no usable answer: the payment is
    then marked "not started" (nothing was charged) and the payer is told to try later.
    ``save_card`` asks the network to save the card for autopay (card methods of networks
    that save cards only).
    """
    if client.is_closed:
        raise ValidationError(_("This contract is closed and does not accept payments."))
    offered = pay_methods()
    chosen = pay_method(method) if method else (offered[0] if offered else None)
    if chosen is None:
        raise ValidationError(_("This way of paying is not available. Choose another."))
    provider = card_provider(chosen.provider)
    if save_card and not (getattr(provider, "saves_cards", False) and chosen.method == Method.CARD):
        raise ValidationError(_("This way of paying cannot save a card for autopay."))
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
            save_card=save_card,
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
            payment = lock(payment.pk)
            payment.gateway_payment_id = started.gateway_payment_id
            payment.payment_url = started.payment_url
            payment.save(update_fields=["gateway_payment_id", "payment_url", "updated_at"])
            _finish(operation, OperationState.DONE)
    except IntegrityError as exc:
        # Another payment already has that gateway id: something is badly wrong there.
        _start_failed(payment, operation, "duplicate gateway payment_id", refused=True)
        raise GatewayUnavailable("duplicate gateway payment_id") from exc
    return payment


def autopay_providers() -> list[str]:
    """The enabled card networks that can save a card and charge it later."""
    return [
        m.provider
        for m in pay_methods()
        if m.method == Method.CARD and getattr(card_provider(m.provider), "saves_cards", False)
    ]


def autopay_payment_create(
    *, client: Client, amount: Decimal, email: str, provider: str, method_id: str
) -> Payment:
    """An autopay charge of a saved card, stored with its operation (and its idempotency
    key) in the caller's transaction; ``autopay_payment_send`` sends it after commit."""
    if client.is_closed:
        raise ValidationError(_("This contract is closed and does not accept payments."))
    network = card_provider(provider)
    if not getattr(network, "saves_cards", False):
        raise ValidationError(_("This way of paying cannot save a card for autopay."))
    payment = Payment.objects.create(
        client=client,
        channel=Channel.CARD,
        provider=provider,
        method=Method.CARD,
        status=PaymentStatus.PENDING,
        amount=amount,
        email=email,
        autopay=True,
    )
    call = network.charge_saved_request(payment, method_id)  # type: ignore[attr-defined]
    GatewayOperation.objects.create(
        payment=payment, kind=OperationKind.CREATE, path=call.path, body=call.body, amount=amount
    )
    return payment


@dataclass(frozen=True)
class ChargeResult:
    payment: Payment
    refused: str = ""  # the network refused the request itself (HTTP 4xx): its code


def autopay_payment_send(*, payment_id: Any) -> ChargeResult:
    """Send (or send again, same key) an autopay charge and apply the network's answer.

    Raises GatewayUnavailable when there is no usable answer: the operation stays open and
    the caller tries again later with the same key, so the card is charged at most once.
    """
    operation = (
        GatewayOperation.objects.select_related("payment", "payment__client")
        .filter(payment_id=payment_id, kind=OperationKind.CREATE)
        .get()
    )
    payment = operation.payment
    if operation.state != OperationState.PENDING or payment.status != PaymentStatus.PENDING:
        return ChargeResult(payment)
    answer = _run(operation)
    if answer.status != 200:
        error = f"HTTP {answer.status} {answer.error_code}".strip()
        with transaction.atomic():
            payment = lock(payment.pk)
            if _finish(operation, OperationState.REFUSED, error):
                payment.status = PaymentStatus.FAILED
                payment.closed_at = timezone.now()
                payment.save(update_fields=["status", "closed_at", "updated_at"])
        return ChargeResult(payment, refused=answer.error_code or str(answer.status))
    try:
        snap = parse_snapshot(answer.data)
    except InvalidMessage as exc:
        raise GatewayUnavailable(f"invalid payment object: {exc}") from exc
    with transaction.atomic():
        payment = lock(payment.pk)
        problem = mismatch(payment, snap)
        if problem:
            flag(payment, f"Gateway answer to the autopay charge: {problem}")
            _finish(operation, OperationState.REFUSED, problem)
            return ChargeResult(payment, refused="mismatch")
        try:
            with transaction.atomic():
                payment.gateway_payment_id = snap.payment_id
                payment.save(update_fields=["gateway_payment_id", "updated_at"])
        except IntegrityError:
            flag(payment, "duplicate gateway payment_id")
            _finish(operation, OperationState.REFUSED, "duplicate gateway payment_id")
            return ChargeResult(payment, refused="duplicate")
        sync_locked(payment, snap, now=timezone.now())
        _finish(operation, OperationState.DONE)
    return ChargeResult(payment)


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
        payment = lock(payment.pk)
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
    """What a notification did, and what its stored message says of it."""

    status: int
    body: dict[str, Any]
    outcome: str
    payment: Payment | None = None
    note: str = ""
    event_id: str = ""
    event_type: str = ""
    # The message claims the event id (unique): the event is applied at most once.
    claims_event: bool = False

    def message_fields(self) -> dict[str, Any]:
        """The incoming message's record of this result."""
        return {
            "outcome": self.outcome,
            "payment": self.payment,
            "note": self.note or self.body.get("message", ""),
            "reference": self.event_id,
            "event_type": self.event_type,
            "event_id": self.event_id if self.claims_event else None,
        }


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


@prepared
def _event_seen(event_id: str) -> QuerySet[GatewayMessage, Any]:
    """The gateway event already applied (compiled once: every notification asks)."""
    return GatewayMessage.objects.filter(event_id=event_id).values("id")[:1]


def payment_receive_event(*, body: bytes) -> EventResult:
    """Apply one verified gateway notification, in the caller's transaction.

    The caller stores the message with ``EventResult.message_fields()`` in the same
    transaction: an applied event's message carries its ``event_id``, unique, so that a
    concurrent repeat that got past the look-up fails on it and is run again
    (``atomic_retrying``), finding the event this time.
    """
    try:
        event = _parse_event(body)
    except InvalidMessage as exc:
        return EventResult(400, {"error": "invalid", "message": str(exc)}, "invalid")
    snap: Snapshot = event["payment"]
    ids = {"event_id": event["event_id"], "event_type": event["type"]}
    event_id: str = event["event_id"]
    with transaction.atomic(savepoint=False):
        payment, by_order = _find_for_snapshot(snap)
        if payment is None:
            return EventResult(
                409,
                {"error": "unknown_payment", "message": "no payment with this order_id"},
                "unknown_payment",
                **ids,
            )
        if _event_seen.values(event_id=event_id):
            return EventResult(200, {"received": True}, "duplicate", payment, **ids)
        problem = (
            mismatch(payment, snap)
            if by_order
            else f"order_id {snap.order_id[:40]!r} is not this payment's"
        )
        if problem:
            flag(payment, f"Gateway event {event_id[:40]}: {problem}")
            return EventResult(
                409, {"error": "mismatch", "message": problem}, "mismatch", payment, **ids
            )
        result = sync_locked(payment, snap, now=timezone.now())
        outcome = "applied" if result.changes else "ignored"
        note = ", ".join(result.changes) or f"nothing to do: the payment is {payment.status}"
        if result.conflict:
            outcome, note = "conflict", result.conflict
        return EventResult(
            200, {"received": True}, outcome, payment, note, claims_event=True, **ids
        )


def event_reference(body: bytes) -> dict[str, str]:
    """The event id and type a notification carries, for the message of one that failed."""
    try:
        event = _parse_event(body)
    except InvalidMessage:
        return {}
    return {"reference": event["event_id"], "event_type": event["type"]}


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


def payment_sync(*, payment: Payment, mark_first: bool = True) -> Payment:
    """Ask the gateway (GET) for the payment and apply what it says.

    The time of asking is stored before the call (``mark_first``: the payer's page and the
    sweeper do not ask again meanwhile, even when no answer comes), or else with what the
    answer changes, in the same write (a provider's notification, answered at once).
    """
    if payment.channel != Channel.CARD or not payment.gateway_payment_id:
        return payment
    asked_at = timezone.now()
    if mark_first:
        Payment.objects.filter(pk=payment.pk).update(last_synced_at=asked_at)
    answer = card_provider(payment.provider).fetch(payment)
    if answer.status != 200:
        return payment
    try:
        snap = parse_snapshot(answer.data)
    except InvalidMessage as exc:
        logger.warning("gateway object for %s is invalid: %s", payment.pk, exc)
        return payment
    with transaction.atomic():
        payment = lock(payment.pk)
        payment.last_synced_at = asked_at
        problem = mismatch(payment, snap)
        if problem:
            flag(payment, f"Gateway answer: {problem}")
            return payment
        sync_locked(payment, snap, now=timezone.now())
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
        payment = lock(payment_id)
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
            payment = lock(payment.pk)
            problem = mismatch(payment, snap)
            if problem:
                flag(payment, f"Gateway answer to {operation.kind}: {problem}")
                _finish(operation, OperationState.REFUSED, problem)
                return payment
            sync_locked(payment, snap, now=timezone.now())
            _finish(operation, OperationState.DONE)
        return payment
    error = f"HTTP {answer.status} {answer.error_code}".strip()
    _finish(operation, OperationState.REFUSED, error)
    with contextlib.suppress(GatewayUnavailable):
        payment = payment_sync(payment=payment)
    if answer.status == 400:
        with transaction.atomic():
            flag(lock(payment.pk), f"The gateway refused to {operation.kind}: {error}")
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
            notify_managers(
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
        payment = lock(payment.pk)
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
        payment = lock(payment.pk)
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
        payment = lock(operation.payment_id)
        problem = mismatch(payment, snap)
        if problem:
            flag(payment, f"Gateway answer to {operation.kind}: {problem}")
            _finish(operation, OperationState.REFUSED, problem)
            raise ValidationError(_("The gateway's answer does not match this payment."))
        sync_locked(payment, snap, now=timezone.now())
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
            notify_client(
                payment,
                title,
                gettext_lazy("Reason: %(reason)s"),
                reason=operation.reason,
                refund=money_text(operation.amount or ZERO),
            )
    return payment


def payment_flag_clear(
    *, actor: User, payment: Payment, note: str, request: HttpRequest | None = None
) -> Payment:
    note = _require_reason(note)
    with transaction.atomic():
        payment = lock(payment.pk)
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

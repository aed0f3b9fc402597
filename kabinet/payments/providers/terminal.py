"""Kabinet's own terminal protocol (specs/payment-gateway.md, "Terminal protocol"): check,
payment, status and cancel, answered in the spec's codes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy

from kabinet.accounts.models import Client
from kabinet.exchange.models import OutboxRecord
from kabinet.lib.prepared import prepared

from ..models import (
    Channel,
    LedgerEntry,
    LedgerKind,
    Payment,
    PaymentStatus,
)
from ..state import (
    atomic_retrying,
    credit_final,
    notify_client,
    parse_wire_amount,
)

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
    return atomic_retrying(lambda: _terminal_accept(number, amount, receipt, date))


def _terminal_accept(number: str, amount: Decimal, receipt: str, date: str) -> TerminalAnswer:
    # No savepoint around the insert: a concurrent request that committed this receipt first
    # makes it fail, and ``atomic_retrying`` runs this again to answer as that one did.
    with transaction.atomic(savepoint=False):
        existing = _by_receipt(receipt)
        if existing is not None:
            return _replay(existing, number, amount)
        found = _client_locked.models(number=number)
        client = found[0] if found else None
        if client is None:
            return _answer(Code.ACCOUNT_NOT_FOUND, "account not found")
        if client.is_closed:
            return _answer(Code.ACCOUNT_CLOSED, "account does not accept payments")
        now = timezone.now()
        payment = Payment(
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
        credit_final(
            payment,
            at=now,
            how=gettext_lazy("Paid at a payment terminal under contract %(contract)s."),
        )
        return _answer(Code.OK, "OK", payment)


@prepared
def _payment_locked(receipt: str) -> QuerySet[Payment]:
    return (
        Payment.objects.select_for_update(of=("self",))
        .select_related("client")
        .filter(receipt=receipt)
        .order_by("pk")[:1]
    )


@prepared
def _client_locked(number: str) -> QuerySet[Client]:
    return (
        Client.objects.select_for_update(of=("self",))
        .filter(contract_number=number)
        .order_by("pk")[:1]
    )


def _by_receipt(receipt: str) -> Payment | None:
    """The payment of a receipt, locked (compiled once: every terminal request asks)."""
    found = _payment_locked.models(receipt=receipt)
    return found[0] if found else None


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
    with transaction.atomic(savepoint=False):
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
        notify_client(
            payment,
            gettext_lazy("Terminal payment of %(amount)s was cancelled"),
            gettext_lazy("The terminal network cancelled it; the balance is corrected."),
        )
        return _answer(Code.OK, "cancelled", payment)

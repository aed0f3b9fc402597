"""Invoices the client issues itself, their payment by bank transfer, and reconciliation
statements. Every change runs in one transaction with its audit entry and billing record."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kabinet.accounts.models import Client, ClientStatus, User
from kabinet.accounts.selectors import company_users
from kabinet.audit.services import audit_record
from kabinet.core.tasks import enqueue_on_commit
from kabinet.exchange.outbox import outbox_record
from kabinet.lib.money import format_money
from kabinet.notifications.models import Category
from kabinet.notifications.services import notification_send
from kabinet.payments.models import Payment
from kabinet.payments.selectors import client_balance
from kabinet.payments.state import managers_for, money_text
from kabinet.subscriptions.models import Subscription, SubscriptionStatus

from . import requisites
from .models import Invoice, InvoiceCounter, InvoiceStatus, Statement
from .periods import month_start, next_month, period_text_ru
from .statements import StatementData, statement_data


def purpose_text(client: Client, period: dt.date, number: str, vat: Decimal, rate: str) -> str:
    """The payment purpose a bank transfer must carry (and the QR code fills in)."""
    vat_part = "Без НДС" if rate == "none" else f"в т.ч. НДС {rate}% {format_money(vat)} руб."
    return (
        f"Оплата по счёту № {number} за услуги связи по договору № {client.contract_number} "
        f"за {period_text_ru(period)} {vat_part}"
    )[:210]


# --- the amount to suggest ---------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    amount: Decimal
    period: dt.date
    reason: str  # "debt" (the balance is below zero) or "fees" (next month's fees)


def monthly_fees(client: Client, on: dt.date) -> Decimal:
    """The monthly fees of the client's active subscriptions at the prices in force ``on``."""
    total = Decimal("0.00")
    subscriptions = Subscription.objects.filter(
        client=client, status=SubscriptionStatus.ACTIVE
    ).select_related("tariff")
    for subscription in subscriptions.prefetch_related("tariff__versions"):
        version = subscription.tariff.version_on(on)
        if version is not None:
            total += version.monthly_fee
    return total


def invoice_suggestion(client: Client) -> Suggestion:
    """The current debt when there is one, else next month's fees (never below the minimum)."""
    today = timezone.localdate()
    balance = client_balance(client=client)
    if balance < 0:
        amount, period, reason = -balance, month_start(today), "debt"
    else:
        period = next_month(today)
        amount, reason = monthly_fees(client, period), "fees"
    amount = min(max(amount, settings.KABINET_INVOICE_MIN), settings.KABINET_INVOICE_MAX)
    return Suggestion(amount=amount.quantize(Decimal("0.01")), period=period, reason=reason)


def invoice_periods() -> list[dt.date]:
    """The months an invoice may be for: the previous, the current and the next one."""
    this = month_start(timezone.localdate())
    previous = month_start(this - dt.timedelta(days=1))
    return [previous, this, next_month(this)]


# --- issuing -------------------------------------------------------------------------------


class RequisitesIncomplete(ValidationError):
    """The operator's requisites are not set up: no document can be issued."""


def _alert_requisites(client: Client, found: list[str]) -> None:
    notification_send(
        users=managers_for(client),
        category=Category.PAYMENT,
        title=_("A client could not issue an invoice: the operator's requisites are incomplete"),
        body=_("Contract %(contract)s. Missing or wrong: %(problems)s. Ask the administrator."),
        params={"contract": client.contract_number, "problems": "; ".join(found)},
        url="",
    )


def check_requisites(client: Client) -> None:
    found = requisites.problems()
    if found:
        # Managers hear of it once a day per contract, not at every attempt.
        if cache.add(f"accounting:requisites-alert:{client.pk}", 1, timeout=24 * 3600):
            _alert_requisites(client, found)
        raise RequisitesIncomplete(
            _(
                "Invoices cannot be issued right now: the operator's bank details are not set "
                "up yet. Your manager has been told; please try again later or pay by card."
            ),
            code="requisites",
        )


def _next_number(year: int) -> tuple[int, str]:
    InvoiceCounter.objects.bulk_create([InvoiceCounter(year=year)], ignore_conflicts=True)
    counter = InvoiceCounter.objects.select_for_update().get(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    prefix = settings.KABINET_INVOICE_PREFIX
    return counter.last, f"{prefix}{year}-{counter.last:05d}"


def invoice_issue(
    *, client: Client, actor: User | None, amount: Decimal, period: dt.date
) -> Invoice:
    """Number, date and record an invoice; billing hears of it as ``invoice.issued``.
    ``actor`` None: Kabinet issued it by itself (an automatic invoice)."""
    if client.status == ClientStatus.CLOSED:
        raise ValidationError(_("The contract is closed: no invoices can be issued."))
    low, high = settings.KABINET_INVOICE_MIN, settings.KABINET_INVOICE_MAX
    if amount < low or amount > high:
        raise ValidationError(
            _("The amount must be from %(min)s to %(max)s."),
            params={"min": money_text(low), "max": money_text(high)},
        )
    if period not in invoice_periods():
        raise ValidationError(_("Choose the previous, the current or the next month."))
    check_requisites(client)
    rate = requisites.vat_rate() or "none"
    vat = requisites.vat_in(amount, rate)
    today = timezone.localdate()
    with transaction.atomic():
        sequence, number = _next_number(today.year)
        invoice = Invoice.objects.create(
            client=client,
            year=today.year,
            sequence=sequence,
            number=number,
            date=today,
            period=period,
            amount=amount,
            vat_rate=rate,
            vat_amount=vat,
            purpose=purpose_text(client, period, number, vat, rate),
            supplier=requisites.operator(),
            buyer=requisites.buyer(client),
            created_by=actor,
        )
        outbox_record(
            type="invoice.issued",
            data={
                "contract": client.contract_number,
                "invoice_id": str(invoice.pk),
                "number": number,
                "date": today.isoformat(),
                "amount": format_money(amount),
                "purpose": invoice.purpose,
            },
        )
        audit_record(
            actor=actor,
            action="invoice.issue",
            obj=invoice,
            after={"number": number, "amount": format_money(amount), "period": str(period)},
        )
    return invoice


def invoice_cancel(*, invoice: Invoice, actor: User) -> Invoice:
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if invoice.status != InvoiceStatus.ISSUED:
            raise ValidationError(_("Only an invoice waiting for payment can be cancelled."))
        invoice.status = InvoiceStatus.CANCELLED
        invoice.cancelled_at = timezone.now()
        invoice.save(update_fields=["status", "cancelled_at"])
        audit_record(actor=actor, action="invoice.cancel", obj=invoice)
    return invoice


def invoice_email(*, invoice: Invoice, actor: User, to: str, note: str = "") -> None:
    """Queue the invoice's PDF to ``to`` (a colleague, the company's accountant)."""
    with transaction.atomic():
        audit_record(actor=actor, action="invoice.email", obj=invoice, after={"to": to})
        enqueue_on_commit(
            "kabinet.accounting.tasks.send_invoice_email", str(invoice.pk), to, actor.pk, note
        )


# --- bank payments paying invoices --------------------------------------------------------


def invoice_for_payment(payment: Payment) -> Invoice | None:
    """The open invoice a bank payment pays: one whose number the payment order quotes, else
    the oldest open invoice of the contract for exactly this amount."""
    open_invoices = Invoice.objects.select_for_update().filter(
        client_id=payment.client_id, status=InvoiceStatus.ISSUED
    )
    reference = payment.reference.replace(" ", "")
    if reference:
        for invoice in open_invoices.order_by("date", "sequence"):
            if invoice.number in reference:
                return invoice
    return open_invoices.filter(amount=payment.amount).order_by("date", "sequence").first()


def invoice_mark_paid(payment: Payment) -> Invoice | None:
    """Called for each payment billing received (inside the import's transaction)."""
    invoice = invoice_for_payment(payment)
    if invoice is None:
        return None
    invoice.status = InvoiceStatus.PAID
    invoice.payment = payment
    invoice.paid_at = payment.accepted_at or timezone.now()
    invoice.save(update_fields=["status", "payment", "paid_at"])
    audit_record(
        actor=None,
        action="invoice.paid",
        obj=invoice,
        after={"payment": str(payment.pk), "reference": payment.reference},
    )
    notification_send(
        users=company_users(invoice.client),
        category=Category.PAYMENT,
        title=_("Invoice № %(number)s is paid"),
        body=_("%(amount)s reached the balance of contract %(contract)s by bank transfer."),
        params={
            "number": invoice.number,
            "amount": money_text(payment.amount),
            "contract": invoice.client.contract_number,
        },
        url=reverse("cabinet:invoice_detail", args=[invoice.pk]),
    )
    return invoice


# --- reconciliation statements -------------------------------------------------------------


def statement_issue(
    *, client: Client, actor: User, date_from: dt.date, date_to: dt.date
) -> Statement:
    check_requisites(client)
    data: StatementData = statement_data(client, date_from, date_to)
    with transaction.atomic():
        statement = Statement.objects.create(
            client=client,
            date_from=date_from,
            date_to=date_to,
            opening=data.opening,
            debit=data.debit,
            credit=data.credit,
            closing=data.closing,
            lines=[line.as_json() for line in data.lines],
            supplier=requisites.operator(),
            buyer=requisites.buyer(client),
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="statement.issue",
            obj=statement,
            after={"from": str(date_from), "to": str(date_to), "closing": str(data.closing)},
        )
    return statement

"""Promised payments: who may take one and for how much, granting, paying back, expiry,
revocation, and the operator's rules. Billing hears of each as ``credit.promised`` and
``credit.ended`` (billing-exchange.md, "second list") and decides what it means for
suspension."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from kabinet.accounting.models import InvoiceStatus
from kabinet.accounting.services import invoice_issue
from kabinet.accounts.models import Client, ClientStatus, User
from kabinet.accounts.selectors import company_users, is_company_admin
from kabinet.audit.services import audit_record
from kabinet.core.tasks import enqueue_on_commit
from kabinet.exchange.outbox import outbox_record
from kabinet.forecast.models import AlertPolicy
from kabinet.forecast.selectors import Forecast, client_forecast
from kabinet.forecast.services import is_below
from kabinet.lib.money import LocalMoney, display_money, format_money, round_up_to
from kabinet.lib.prepared import prepared
from kabinet.notifications.models import Category
from kabinet.notifications.services import notification_send
from kabinet.payments.state import managers_for, wire_time

from .models import (
    AutoInvoice,
    AutoInvoicePolicy,
    CreditBar,
    CreditRules,
    CreditStatus,
    PromisedPayment,
)

ZERO = Decimal("0.00")
REMIND_BEFORE = dt.timedelta(hours=24)


def rules_get() -> CreditRules:
    rules, _created = CreditRules.objects.get_or_create(pk=1)
    return rules


@dataclass(frozen=True)
class Offer:
    """Whether the client may take a promised payment now, and within which limit."""

    available: bool
    reason: str
    limit: Decimal
    valid_days: int
    per_30_days: int
    forecast: Forecast | None = None


def active_bar(client: Client) -> CreditBar | None:
    return CreditBar.objects.filter(client=client, lifted_at__isnull=True).first()


@prepared
def _open_credit(client_id: int) -> QuerySet[PromisedPayment]:
    credits = PromisedPayment.objects.filter(client_id=client_id, status=CreditStatus.OPEN)
    return credits.order_by(*(PromisedPayment._meta.ordering or ["pk"]))[:1]


def open_credit(client: Client) -> PromisedPayment | None:
    """The client's promised payment not yet repaid or expired (one query, compiled once:
    the payments page and the pay page read it)."""
    found = _open_credit.models(client_id=client.pk)
    return found[0] if found else None


def _unpaid_overdue(client: Client) -> PromisedPayment | None:
    for credit in PromisedPayment.objects.filter(client=client, status=CreditStatus.EXPIRED):
        if credit.paid_amount < credit.amount:
            return credit
    return None


def limit_of(rules: CreditRules, forecast: Forecast) -> Decimal:
    """The rules' fixed maximum, and at most ``max_share`` % of a month's charges (the monthly
    fees and the usage average the forecast uses), in whole roubles."""
    limit = rules.max_amount
    if rules.max_share:
        monthly = forecast.monthly_fees + forecast.usage_average
        limit = min(limit, monthly * rules.max_share / 100)
    return limit.quantize(Decimal("1"), rounding=ROUND_DOWN).quantize(Decimal("0.01"))


def offer_for(client: Client, *, now: dt.datetime | None = None) -> Offer:
    now = now or timezone.now()
    rules = rules_get()

    def refused(reason: str, forecast: Forecast | None = None) -> Offer:
        return Offer(False, reason, ZERO, rules.valid_days, rules.per_30_days, forecast)

    if not rules.enabled:
        return refused(_("The operator does not offer promised payments at the moment."))
    if client.status == ClientStatus.CLOSED:
        return refused(_("The contract is closed."))
    if active_bar(client) is not None:
        return refused(
            _("Promised payments are not available for this contract. Ask your manager why.")
        )
    current = open_credit(client)
    if current is not None:
        return refused(_("A promised payment is already open: pay it back first."))
    if _unpaid_overdue(client) is not None:
        return refused(_("An earlier promised payment is not paid back yet: pay it first."))
    recent = list(
        PromisedPayment.objects.filter(
            client=client, granted_at__gt=now - dt.timedelta(days=30)
        ).values_list("granted_at", flat=True)
    )
    if rules.per_30_days and len(recent) >= rules.per_30_days:
        next_on = min(recent) + dt.timedelta(days=30)
        return refused(
            ngettext(
                "At most %(n)s promised payment in 30 days; the next one from %(date)s.",
                "At most %(n)s promised payments in 30 days; the next one from %(date)s.",
                rules.per_30_days,
            )
            % {
                "n": rules.per_30_days,
                "date": formats.date_format(timezone.localtime(next_on), "SHORT_DATETIME_FORMAT"),
            }
        )
    forecast = client_forecast(client)
    limit = limit_of(rules, forecast)
    if limit < 1:
        return refused(
            _("Nothing is charged on the contract each month, so there is nothing to cover."),
            forecast,
        )
    policy = AlertPolicy.objects.filter(client=client).first() or AlertPolicy(client=client)
    low = (
        client.status == ClientStatus.SUSPENDED
        or forecast.balance <= 0
        or is_below(policy, forecast)
    )
    if not low:
        return refused(
            _(
                "A promised payment can be taken when the balance is used up, below your "
                "low-balance alert threshold, or the service is suspended."
            ),
            forecast,
        )
    return Offer(True, "", limit, rules.valid_days, rules.per_30_days, forecast)


def terms_text(amount: Decimal, valid_until: dt.datetime, rules: CreditRules) -> str:
    return ngettext(
        "%(amount)s is granted at once and must be paid back by %(until)s. Any payment to the "
        "contract pays it back. If it is not paid back in time, billing may suspend the "
        "service for the debt. At most %(n)s promised payment in 30 days, and none while "
        "one is unpaid.",
        "%(amount)s is granted at once and must be paid back by %(until)s. Any payment to the "
        "contract pays it back. If it is not paid back in time, billing may suspend the "
        "service for the debt. At most %(n)s promised payments in 30 days, and none while "
        "one is unpaid.",
        rules.per_30_days,
    ) % {
        "amount": display_money(amount),
        "until": formats.date_format(timezone.localtime(valid_until), "SHORT_DATETIME_FORMAT"),
        "n": rules.per_30_days,
    }


def credit_take(
    *, client: Client, actor: User, amount: Decimal, now: dt.datetime | None = None
) -> PromisedPayment:
    """Grant a promised payment at once. Raises ValidationError with the reason otherwise;
    two requests at the same moment grant one (the client row is locked, and the database
    allows one open credit per client)."""
    if not is_company_admin(actor, client):
        raise ValidationError(_("Only the company's administrators take promised payments."))
    now = now or timezone.now()
    with transaction.atomic():
        Client.objects.select_for_update().filter(pk=client.pk).first()
        offer = offer_for(client, now=now)
        if not offer.available:
            raise ValidationError(offer.reason)
        if amount < 1 or amount > offer.limit:
            raise ValidationError(
                _("The amount must be from 1 ₽ to %(limit)s.")
                % {"limit": display_money(offer.limit)}
            )
        rules = rules_get()
        valid_until = now + dt.timedelta(days=rules.valid_days)
        try:
            with transaction.atomic():
                credit = PromisedPayment.objects.create(
                    client=client,
                    amount=amount,
                    granted_at=now,
                    valid_until=valid_until,
                    granted_by=actor,
                    terms=terms_text(amount, valid_until, rules),
                )
        except IntegrityError:
            raise ValidationError(
                _("A promised payment is already open: pay it back first.")
            ) from None
        outbox_record(
            type="credit.promised",
            data={
                "contract": client.contract_number,
                "credit_id": str(credit.pk),
                "amount": format_money(amount),
                "granted_at": wire_time(now),
                "valid_until": wire_time(valid_until),
            },
        )
        audit_record(
            actor=actor,
            action="credit.grant",
            obj=credit,
            after={"amount": str(amount), "valid_until": valid_until.isoformat()},
        )
        _notify(
            credit,
            gettext_lazy("Promised payment of %(amount)s for contract %(contract)s"),
            gettext_lazy(
                "%(amount)s is granted until %(until)s. Any payment to the contract pays it back."
            ),
            managers=True,
        )
    return credit


def _notify(
    credit: PromisedPayment, title: Any, body: Any, *, managers: bool = False, **extra: Any
) -> None:
    params = {
        "amount": LocalMoney(credit.amount),
        "contract": credit.client.contract_number,
        "until": _LocalTime(credit.valid_until),
        "left": LocalMoney(credit.left_to_pay),
        **extra,
    }
    notification_send(
        users=company_users(credit.client),
        category=Category.PAYMENT,
        title=title,
        body=body,
        params=params,
        url="/cabinet/promised-payment/",
    )
    if managers:
        staff = managers_for(credit.client)
        if staff:
            notification_send(
                users=staff,
                category=Category.PAYMENT,
                title=title,
                body=body,
                params=params,
                url=f"/manager/promised-payments/?contract={credit.client.contract_number}",
                email=False,
            )


class _LocalTime:
    """A moment for a notice's ``%(until)s``, in each recipient's language."""

    def __init__(self, moment: dt.datetime) -> None:
        self.moment = moment

    def __str__(self) -> str:
        return formats.date_format(timezone.localtime(self.moment), "SHORT_DATETIME_FORMAT")


def _end(credit: PromisedPayment, *, reason: str, at: dt.datetime) -> None:
    outbox_record(
        type="credit.ended",
        data={
            "contract": credit.client.contract_number,
            "credit_id": str(credit.pk),
            "ended_at": wire_time(at),
            "reason": reason,
        },
    )


@prepared
def _credits_to_cover(client_id: int) -> QuerySet[PromisedPayment]:
    return (
        PromisedPayment.objects.select_for_update()
        .select_related("client")
        .filter(client_id=client_id, status__in=[CreditStatus.OPEN, CreditStatus.EXPIRED])
        .order_by("granted_at")
    )


def credit_cover(*, client_id: int, amount: Decimal, at: dt.datetime) -> None:
    """A payment reached the balance: it pays back the open (or an overdue) promised payment.
    Runs in the payment's transaction."""
    credits = _credits_to_cover.models(client_id=client_id)
    remaining = amount
    for credit in credits:
        if remaining <= 0:
            break
        left = credit.amount - credit.paid_amount
        if left <= 0:
            continue
        part = min(left, remaining)
        remaining -= part
        credit.paid_amount += part
        fields = ["paid_amount"]
        if credit.paid_amount >= credit.amount and credit.status == CreditStatus.OPEN:
            credit.status = CreditStatus.PAID
            credit.ended_at = at
            fields += ["status", "ended_at"]
            _end(credit, reason="paid", at=at)
            audit_record(
                actor=None,
                action="credit.paid",
                obj=credit,
                after={"paid": str(credit.paid_amount)},
            )
            _notify(
                credit,
                gettext_lazy("The promised payment for contract %(contract)s is paid back"),
                gettext_lazy("Thank you: %(amount)s is paid back."),
            )
        credit.save(update_fields=fields)


def credits_pass(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The scheduled pass: overdue credits end as expired; a day before the deadline the
    company is reminded once."""
    now = now or timezone.now()
    expired = reminded = 0
    due = PromisedPayment.objects.filter(status=CreditStatus.OPEN, valid_until__lte=now)
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            credit = (
                PromisedPayment.objects.select_for_update()
                .select_related("client")
                .filter(pk=pk, status=CreditStatus.OPEN)
                .first()
            )
            if credit is None:
                continue
            credit.status = CreditStatus.EXPIRED
            credit.ended_at = now
            credit.save(update_fields=["status", "ended_at"])
            _end(credit, reason="expired", at=now)
            audit_record(actor=None, action="credit.expire", obj=credit)
            _notify(
                credit,
                gettext_lazy("The promised payment for contract %(contract)s is overdue"),
                gettext_lazy(
                    "%(left)s of it is not paid back. Billing may suspend the service for the "
                    "debt: top up the balance."
                ),
                managers=True,
            )
            expired += 1
    soon = PromisedPayment.objects.filter(
        status=CreditStatus.OPEN, valid_until__lte=now + REMIND_BEFORE, reminded_at__isnull=True
    )
    for pk in list(soon.values_list("pk", flat=True)):
        with transaction.atomic():
            credit = (
                PromisedPayment.objects.select_for_update()
                .select_related("client")
                .filter(pk=pk, status=CreditStatus.OPEN, reminded_at__isnull=True)
                .first()
            )
            if credit is None:
                continue
            credit.reminded_at = now
            credit.save(update_fields=["reminded_at"])
            _notify(
                credit,
                gettext_lazy(
                    "Pay back the promised payment for contract %(contract)s by %(until)s"
                ),
                gettext_lazy("%(left)s is left to pay. Any payment to the contract pays it back."),
            )
            reminded += 1
    return {"expired": expired, "reminded": reminded}


def credit_revoke(*, credit: PromisedPayment, actor: User, reason: str) -> PromisedPayment:
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Say why the promised payment is revoked."))
    with transaction.atomic():
        credit = (
            PromisedPayment.objects.select_for_update().select_related("client").get(pk=credit.pk)
        )
        if credit.status != CreditStatus.OPEN:
            raise ValidationError(_("Only an open promised payment can be revoked."))
        now = timezone.now()
        credit.status = CreditStatus.REVOKED
        credit.ended_at = now
        credit.revoked_by = actor
        credit.revoke_reason = reason[:300]
        credit.save(update_fields=["status", "ended_at", "revoked_by", "revoke_reason"])
        _end(credit, reason="revoked", at=now)
        audit_record(actor=actor, action="credit.revoke", obj=credit, comment=reason[:300])
        _notify(
            credit,
            gettext_lazy("The promised payment for contract %(contract)s is revoked"),
            gettext_lazy("The operator revoked it: %(reason)s"),
            reason=reason[:300],
        )
    return credit


RULE_FIELDS = ("enabled", "max_amount", "max_share", "valid_days", "per_30_days")


def rules_update(*, actor: User, data: dict[str, Any]) -> CreditRules:
    with transaction.atomic():
        rules = CreditRules.objects.select_for_update().filter(pk=1).first() or rules_get()
        before = {f: str(getattr(rules, f)) for f in RULE_FIELDS}
        for field in RULE_FIELDS:
            setattr(rules, field, data[field])
        rules.updated_by = actor
        rules.save()
        audit_record(
            actor=actor,
            action="credit.rules",
            obj=rules,
            before=before,
            after={f: str(getattr(rules, f)) for f in RULE_FIELDS},
        )
    return rules


def bar_add(*, client: Client, actor: User, reason: str) -> CreditBar:
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Say why the client is barred."))
    with transaction.atomic():
        if active_bar(client) is not None:
            raise ValidationError(_("This client is already barred from promised payments."))
        bar = CreditBar.objects.create(client=client, reason=reason[:300], barred_by=actor)
        audit_record(actor=actor, action="credit.bar", obj=bar, comment=reason[:300])
    return bar


def bar_lift(*, bar: CreditBar, actor: User) -> None:
    with transaction.atomic():
        updated = CreditBar.objects.filter(pk=bar.pk, lifted_at__isnull=True).update(
            lifted_at=timezone.now(), lifted_by=actor
        )
        if updated:
            audit_record(actor=actor, action="credit.unbar", obj=bar)


# --- automatic invoices ---------------------------------------------------------------------


def auto_invoice_amount(forecast: Forecast, days: int) -> Decimal:
    """What brings the balance to ``days`` of spending, rounded up to 100 ₽ (0: nothing)."""
    need = forecast.daily_spend * days - forecast.balance
    return round_up_to(need) if need > 0 else ZERO


def open_auto_invoice(client: Client) -> AutoInvoice | None:
    return (
        AutoInvoice.objects.filter(client=client, invoice__status=InvoiceStatus.ISSUED)
        .select_related("invoice")
        .first()
    )


def auto_invoice_clients(client_ids: set[int]) -> set[int]:
    """Which of these companies asked for automatic invoices (one query)."""
    return set(
        AutoInvoicePolicy.objects.filter(client_id__in=client_ids, enabled=True).values_list(
            "client_id", flat=True
        )
    )


def auto_invoice_issue(*, client: Client, forecast: Forecast) -> AutoInvoice | None:
    """Issue the company's automatic invoice, if it asked for them and has none unpaid, and
    e-mail its PDF to the accounting contacts. Runs in the forecast pass's transaction (a
    savepoint: a refused invoice changes nothing)."""
    policy = AutoInvoicePolicy.objects.filter(client=client, enabled=True).first()
    if policy is None or not policy.email_list or open_auto_invoice(client) is not None:
        return None
    amount = auto_invoice_amount(forecast, policy.days)
    if amount <= 0:
        return None
    amount = min(max(amount, settings.KABINET_INVOICE_MIN), settings.KABINET_INVOICE_MAX)
    period = timezone.localdate().replace(day=1)
    try:
        with transaction.atomic():
            invoice = invoice_issue(client=client, actor=None, amount=amount, period=period)
            auto = AutoInvoice.objects.create(
                invoice=invoice, client=client, sent_to=" ".join(policy.email_list)
            )
            for address in policy.email_list:
                enqueue_on_commit(
                    "kabinet.accounting.tasks.send_invoice_email",
                    str(invoice.pk),
                    address,
                    None,
                    "",
                )
            notification_send(
                users=company_users(client),
                category=Category.PAYMENT,
                title=gettext_lazy("Invoice № %(number)s for %(amount)s was issued automatically"),
                body=gettext_lazy(
                    "The balance of contract %(contract)s is running low. The invoice's PDF "
                    "is sent to %(emails)s."
                ),
                params={
                    "number": invoice.number,
                    "amount": LocalMoney(amount),
                    "contract": client.contract_number,
                    "emails": ", ".join(policy.email_list),
                },
                url=f"/cabinet/invoices/{invoice.pk}/",
            )
    except ValidationError:  # incomplete requisites: managers are told by accounting
        return None
    return auto


def auto_invoice_update(*, client: Client, actor: User, data: dict[str, Any]) -> AutoInvoicePolicy:
    if data["enabled"] and not data["emails"]:
        raise ValidationError(_("Give at least one accounting e-mail to send the invoices to."))
    with transaction.atomic():
        policy, _created = AutoInvoicePolicy.objects.select_for_update().get_or_create(
            client=client
        )
        before = {"enabled": policy.enabled, "days": policy.days, "emails": policy.emails}
        policy.enabled = data["enabled"]
        policy.days = data["days"]
        policy.emails = "\n".join(data["emails"])
        policy.updated_by = actor
        policy.save()
        audit_record(
            actor=actor,
            action="auto_invoice.settings",
            obj=policy,
            before=before,
            after={"enabled": policy.enabled, "days": policy.days, "emails": policy.emails},
        )
    return policy

"""Card autopay: a company's administrator saves a card with a first card payment (YooKassa's
"saving during a payment", with the consent shown and recorded), and when the company's
low-balance alert fires, Kabinet charges the saved card the chosen amount.

* One charge per crossing (the alert fires once per crossing) and never two on one day
  (``AutopayCharge`` is unique per autopay and operator's date).
* Each charge is a payment stored with its operation, and so its ``Idempotence-Key``, in the
  transaction of the alert; it is sent after commit and, while the network gives no answer,
  sent again with the same key, so the card is charged at most once.
* Charges are one-stage: the money reaches the balance at once; a charge made in error comes
  back as a refund.
* A decline counts; two in a row (or a card the network says can no longer be charged)
  stop autopay and forget the card. A paid charge resets the count.
* Turning autopay off forgets the card in the same step.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kabinet.accounts.models import Client, User
from kabinet.accounts.selectors import company_users, is_company_admin
from kabinet.audit.services import audit_record
from kabinet.core.tasks import enqueue_on_commit
from kabinet.forecast.models import AlertPolicy, ThresholdKind
from kabinet.lib.money import LocalMoney, display_money
from kabinet.notifications.models import Category
from kabinet.notifications.services import notification_send
from kabinet.payments.gateway import GatewayUnavailable
from kabinet.payments.models import (
    GatewayOperation,
    OperationKind,
    OperationState,
    Payment,
    PaymentStatus,
)
from kabinet.payments.services import (
    autopay_payment_create,
    autopay_payment_send,
    autopay_providers,
    payment_start_card,
)
from kabinet.payments.state import managers_for

from .models import (
    AUTOPAY_LIVE,
    Autopay,
    AutopayCharge,
    AutopayChargeStatus,
    AutopayStatus,
    decline_words,
)

logger = logging.getLogger(__name__)

# YooKassa's cancellation reasons after which the saved card cannot be charged again
# ("Declined payments": the user revoked the permission, or the card expired).
CARD_GONE = frozenset({"permission_revoked", "card_expired"})
MAX_DECLINES = 2
# A charge with no answer is sent again (same key) for this long, then given up.
RESEND_FOR = dt.timedelta(hours=24)
# A card payment to turn autopay on that has not saved a card by then is given up.
SETUP_FOR = dt.timedelta(hours=2)
URL = "/cabinet/autopay/"


def provider_code() -> str:
    """The network autopay goes through ("" when no enabled network saves cards)."""
    found = autopay_providers()
    return found[0] if found else ""


def live_autopay(client: Client) -> Autopay | None:
    return Autopay.objects.filter(client=client, status__in=AUTOPAY_LIVE).first()


def amount_limits() -> tuple[Decimal, Decimal]:
    return (
        max(settings.KABINET_PAYMENT_MIN, Decimal("100.00")),
        min(settings.KABINET_PAYMENT_MAX, settings.KABINET_AUTOPAY_MAX),
    )


def threshold_text(client: Client) -> str:
    policy = AlertPolicy.objects.filter(client=client).first() or AlertPolicy(client=client)
    if policy.kind == ThresholdKind.MONEY:
        return _("the balance is below %(amount)s") % {"amount": display_money(policy.amount)}
    return _("the forecast shows %(days)s days of service left or fewer") % {"days": policy.days}


def consent_text(*, client: Client, user: User, amount: Decimal, email: str) -> str:
    """What the administrator agrees to, exactly as shown and stored."""
    return _(
        "I, %(name)s, acting for the company under contract %(contract)s, allow "
        "%(operator)s to charge the bank card I pay with now %(amount)s, without asking me "
        "each time, whenever %(threshold)s (the company's low-balance threshold), at most "
        "once a day. Each charge is paid to the contract's balance and comes with a receipt "
        "to %(email)s. Autopay stops after two declined charges. I can turn autopay off at "
        "any time in the cabinet (Payments → Card autopay); the card is then forgotten."
    ) % {
        "name": user.get_full_name() or user.email,
        "contract": client.contract_number,
        "operator": settings.KABINET_OPERATOR_NAME,
        "amount": display_money(amount),
        "threshold": threshold_text(client),
        "email": email,
    }


def _notify(
    autopay: Autopay, title: Any, body: Any = "", *, managers: bool = False, **params: Any
) -> None:
    values = {
        "amount": LocalMoney(autopay.amount),
        "contract": autopay.client.contract_number,
        "card": autopay.card_title or "—",
        **params,
    }
    notification_send(
        users=company_users(autopay.client),
        category=Category.PAYMENT,
        title=title,
        body=body,
        params=values,
        url=URL,
    )
    staff = managers_for(autopay.client) if managers else []
    if staff:
        notification_send(
            users=staff,
            category=Category.PAYMENT,
            title=title,
            body=body,
            params=values,
            url=f"/manager/payments/?contract={autopay.client.contract_number}",
            email=False,
        )


def _check_amount(amount: Decimal) -> None:
    low, high = amount_limits()
    if amount < low or amount > high:
        raise ValidationError(
            _("The amount must be from %(low)s to %(high)s.")
            % {"low": display_money(low), "high": display_money(high)}
        )


# --- turning it on -------------------------------------------------------------------------


def autopay_start(
    *,
    client: Client,
    actor: User,
    amount: Decimal,
    first_amount: Decimal,
    email: str,
    consent: str,
    ip: str | None = None,
) -> Payment:
    """Record the consent and start the card payment that saves the card; returns the
    payment (its ``payment_url`` is where the administrator confirms it).

    ``consent`` is the text the administrator saw; it must be the one for these terms."""
    if not is_company_admin(actor, client):
        raise ValidationError(_("Only the company's administrators turn autopay on."))
    if client.is_closed:
        raise ValidationError(_("This contract is closed and does not accept payments."))
    provider = provider_code()
    if not provider:
        raise ValidationError(_("Card autopay is not available: no payment network saves cards."))
    _check_amount(amount)
    if first_amount < settings.KABINET_PAYMENT_MIN or first_amount > settings.KABINET_PAYMENT_MAX:
        raise ValidationError(
            _("The first payment must be from %(low)s to %(high)s.")
            % {
                "low": display_money(settings.KABINET_PAYMENT_MIN),
                "high": display_money(settings.KABINET_PAYMENT_MAX),
            }
        )
    expected = consent_text(client=client, user=actor, amount=amount, email=email)
    if consent.strip() != expected:
        raise ValidationError(_("The terms changed while you were reading them. Read them again."))
    now = timezone.now()
    with transaction.atomic():
        Client.objects.select_for_update().filter(pk=client.pk).first()
        _give_up_setups(client, now)
        if live_autopay(client) is not None:
            raise ValidationError(_("Autopay is already on, or being turned on, for this company."))
        try:
            with transaction.atomic():
                autopay = Autopay.objects.create(
                    client=client,
                    provider=provider,
                    amount=amount,
                    email=email,
                    consent_text=expected,
                    consented_by=actor,
                    consented_at=now,
                    consent_ip=ip,
                )
        except IntegrityError:
            raise ValidationError(
                _("Autopay is already on, or being turned on, for this company.")
            ) from None
        audit_record(
            actor=actor,
            action="autopay.consent",
            obj=autopay,
            after={"amount": str(amount), "email": email, "consent": expected},
        )
    try:
        payment = payment_start_card(
            client=client,
            amount=first_amount,
            email=email,
            actor=actor,
            method=f"{provider}:card",
            save_card=True,
        )
    except (GatewayUnavailable, ValidationError) as exc:
        Autopay.objects.filter(pk=autopay.pk).update(
            status=AutopayStatus.NOT_SAVED,
            ended_at=timezone.now(),
            end_reason=(
                "; ".join(exc.messages)
                if isinstance(exc, ValidationError)
                else _("The payment network did not answer.")
            )[:300],
        )
        if isinstance(exc, ValidationError):
            raise
        raise ValidationError(
            _("The payment network is not answering; nothing was charged. Try again shortly.")
        ) from exc
    Autopay.objects.filter(pk=autopay.pk).update(setup_payment=payment)
    return payment


def card_saved(*, payment: Payment, method_id: str, title: str) -> None:
    """The network saved the card of a payment made to turn autopay on (in the transaction
    that applied the network's answer)."""
    autopay = (
        Autopay.objects.select_for_update()
        .select_related("client")
        .filter(setup_payment=payment, status=AutopayStatus.SETTING_UP)
        .first()
    )
    if autopay is None:
        return
    autopay.status = AutopayStatus.ACTIVE
    autopay.method_id = method_id
    autopay.card_title = title
    autopay.activated_at = timezone.now()
    autopay.save(update_fields=["status", "method_id", "card_title", "activated_at"])
    audit_record(
        actor=None,
        action="autopay.on",
        obj=autopay,
        after={"card": title, "amount": str(autopay.amount)},
    )
    _notify(
        autopay,
        gettext_lazy("Card autopay is on for contract %(contract)s"),
        gettext_lazy(
            "When the balance runs low, %(amount)s will be charged to %(card)s, at most once "
            "a day. You can turn autopay off in the cabinet at any time."
        ),
    )


def _give_up_setups(client: Client, now: dt.datetime) -> None:
    """Setups whose card payment ended (or stalled) without saving the card are closed."""
    for autopay in Autopay.objects.select_for_update().filter(
        client=client, status=AutopayStatus.SETTING_UP
    ):
        _check_setup(autopay, now)


def _check_setup(autopay: Autopay, now: dt.datetime) -> bool:
    payment = autopay.setup_payment
    stalled = autopay.consented_at < now - SETUP_FOR
    # Once held or paid, the network has said whether it saved the card (card_saved above).
    finished = payment is not None and payment.status != PaymentStatus.PENDING
    if not (stalled or finished):
        return False
    autopay.status = AutopayStatus.NOT_SAVED
    autopay.ended_at = now
    autopay.end_reason = _("The card payment to turn autopay on did not save the card.")
    autopay.save(update_fields=["status", "ended_at", "end_reason"])
    return True


# --- turning it off ------------------------------------------------------------------------


def autopay_off(*, client: Client, actor: User, request: Any = None) -> Autopay:
    """Turn autopay off and forget the card, in one step."""
    if not is_company_admin(actor, client):
        raise ValidationError(_("Only the company's administrators turn autopay off."))
    with transaction.atomic():
        autopay = (
            Autopay.objects.select_for_update()
            .select_related("client")
            .filter(client=client, status__in=AUTOPAY_LIVE)
            .first()
        )
        if autopay is None:
            raise ValidationError(_("Autopay is already off."))
        autopay.status = AutopayStatus.OFF
        autopay.method_id = ""
        autopay.ended_at = timezone.now()
        autopay.ended_by = actor
        autopay.end_reason = _("Turned off in the cabinet; the card was forgotten.")
        autopay.save(update_fields=["status", "method_id", "ended_at", "ended_by", "end_reason"])
        audit_record(
            actor=actor,
            action="autopay.off",
            obj=autopay,
            after={"status": autopay.status, "card": "forgotten"},
            request=request,
        )
        _notify(
            autopay,
            gettext_lazy("Card autopay is off for contract %(contract)s"),
            gettext_lazy("The card %(card)s was forgotten and will not be charged again."),
        )
    return autopay


def autopay_update(*, client: Client, actor: User, amount: Decimal, request: Any = None) -> Autopay:
    """Change the amount charged (the consent recorded for it is amended in the audit log)."""
    if not is_company_admin(actor, client):
        raise ValidationError(_("Only the company's administrators change autopay."))
    _check_amount(amount)
    with transaction.atomic():
        autopay = (
            Autopay.objects.select_for_update()
            .filter(client=client, status=AutopayStatus.ACTIVE)
            .first()
        )
        if autopay is None:
            raise ValidationError(_("Autopay is not on."))
        before = {"amount": str(autopay.amount)}
        autopay.amount = amount
        autopay.save(update_fields=["amount"])
        audit_record(
            actor=actor,
            action="autopay.amount",
            obj=autopay,
            before=before,
            after={"amount": str(amount)},
            request=request,
        )
    return autopay


# --- charging --------------------------------------------------------------------------------


def autopay_clients(client_ids: set[int]) -> set[int]:
    """Which of these companies have autopay on with a saved card (one query)."""
    return set(
        Autopay.objects.filter(
            client_id__in=client_ids, status=AutopayStatus.ACTIVE, declines__lt=MAX_DECLINES
        )
        .exclude(method_id="")
        .values_list("client_id", flat=True)
    )


def charge_on_low_balance(
    *, client: Client, now: dt.datetime | None = None
) -> AutopayCharge | None:
    """The company's low-balance alert fired (inside the forecast pass's transaction):
    store a charge of the saved card and send it after commit."""
    now = now or timezone.now()
    autopay = (
        Autopay.objects.select_for_update()
        .select_related("client")
        .filter(client=client, status=AutopayStatus.ACTIVE)
        .first()
    )
    if autopay is None or not autopay.method_id or autopay.declines >= MAX_DECLINES:
        return None
    if client.is_closed:
        return None
    day = timezone.localdate(now)
    if AutopayCharge.objects.filter(autopay=autopay, day=day).exists():
        return None
    try:
        with transaction.atomic():
            payment = autopay_payment_create(
                client=autopay.client,
                amount=autopay.amount,
                email=autopay.email,
                provider=autopay.provider,
                method_id=autopay.method_id,
            )
            charge = AutopayCharge.objects.create(
                autopay=autopay, payment=payment, day=day, created_at=now
            )
    except IntegrityError:  # a concurrent pass charged today already
        return None
    except ValidationError as exc:
        logger.warning("autopay of %s not made: %s", client.pk, exc)
        return None
    enqueue_on_commit("kabinet.continuity.tasks.autopay_send_task", str(payment.pk))
    return charge


def charge_send(*, payment_id: Any) -> AutopayCharge | None:
    """Send a stored charge (again, with the same key) and record what came of it."""
    charge = AutopayCharge.objects.select_related("autopay").filter(payment_id=payment_id).first()
    if charge is None or charge.status != AutopayChargeStatus.SENT:
        return charge
    if _withdrawn_before_sending(charge):
        return charge
    try:
        result = autopay_payment_send(payment_id=payment_id)
    except GatewayUnavailable as exc:
        logger.warning("autopay charge %s: no answer yet (%s)", payment_id, exc)
        return charge
    if result.refused:
        with transaction.atomic():
            _declined(charge.payment, reason=result.refused, refused=True)
    charge.refresh_from_db()
    return charge


def _withdrawn_before_sending(charge: AutopayCharge) -> bool:
    """Autopay was turned off (or stopped) after the charge was stored and before it was
    ever sent: it is not sent. Once sent, it is sent again to learn how it ended."""
    with transaction.atomic():
        autopay = Autopay.objects.select_for_update().get(pk=charge.autopay_id)
        if autopay.status == AutopayStatus.ACTIVE:
            return False
        never_sent = GatewayOperation.objects.filter(
            payment_id=charge.payment_id, kind=OperationKind.CREATE, attempts=0
        ).update(state=OperationState.REFUSED, last_error="autopay ended before sending")
        if not never_sent:
            return False
        now = timezone.now()
        Payment.objects.filter(pk=charge.payment_id, status=PaymentStatus.PENDING).update(
            status=PaymentStatus.FAILED, closed_at=now
        )
        AutopayCharge.objects.filter(pk=charge.pk).update(
            status=AutopayChargeStatus.FAILED, reason="autopay_ended", finished_at=now
        )
    charge.refresh_from_db()
    return True


def charge_paid(*, payment: Payment) -> None:
    """A charge reached the balance (inside the crediting transaction)."""
    charge = AutopayCharge.objects.select_related("autopay").filter(payment=payment).first()
    if charge is None or charge.status != AutopayChargeStatus.SENT:
        return
    AutopayCharge.objects.filter(pk=charge.pk).update(
        status=AutopayChargeStatus.PAID, finished_at=timezone.now()
    )
    Autopay.objects.filter(pk=charge.autopay_id).update(declines=0)


def payment_declined(*, payment: Payment, reason: str) -> None:
    """A card payment was declined (inside the transaction that applied it): a charge
    counts towards stopping autopay; a setup payment closes its setup."""
    _declined(payment, reason=reason, refused=False)
    autopay = Autopay.objects.filter(setup_payment=payment, status=AutopayStatus.SETTING_UP).first()
    if autopay is not None:
        _check_setup(autopay, timezone.now())


def _declined(payment: Payment, *, reason: str, refused: bool) -> None:
    charge = (
        AutopayCharge.objects.select_for_update()
        .select_related("autopay", "autopay__client")
        .filter(payment=payment)
        .first()
    )
    if charge is None or charge.status != AutopayChargeStatus.SENT:
        return
    now = timezone.now()
    charge.status = AutopayChargeStatus.FAILED if refused else AutopayChargeStatus.DECLINED
    charge.reason = reason[:300]
    charge.finished_at = now
    charge.save(update_fields=["status", "reason", "finished_at"])
    autopay = Autopay.objects.select_for_update().select_related("client").get(pk=charge.autopay_id)
    autopay.declines += 1
    stop = autopay.status == AutopayStatus.ACTIVE and (
        autopay.declines >= MAX_DECLINES or reason in CARD_GONE or refused
    )
    if stop:
        autopay.status = AutopayStatus.STOPPED
        autopay.method_id = ""
        autopay.ended_at = now
        autopay.end_reason = decline_words(reason)
    autopay.save(update_fields=["declines", "status", "method_id", "ended_at", "end_reason"])
    if stop:
        audit_record(
            actor=None,
            action="autopay.stopped",
            obj=autopay,
            after={"declines": autopay.declines, "reason": reason},
        )
        _notify(
            autopay,
            gettext_lazy("Card autopay stopped for contract %(contract)s"),
            gettext_lazy(
                "The charge of %(amount)s to %(card)s was declined (%(reason)s). Autopay is off "
                "and the card was forgotten; pay by other means or turn autopay on again with "
                "another card."
            ),
            managers=True,
            reason=_DeclineWords(reason),
        )
    else:
        _notify(
            autopay,
            gettext_lazy("Card autopay: the charge of %(amount)s was declined"),
            gettext_lazy(
                "The bank declined the charge to %(card)s (%(reason)s). Autopay tries again at "
                "the next low-balance alert; after a second decline in a row it stops. Pay by "
                "other means to keep the service on."
            ),
            reason=_DeclineWords(reason),
        )


class _DeclineWords:
    """A decline reason for a notice, in each recipient's language."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __str__(self) -> str:
        return decline_words(self.reason)


# --- the scheduled pass --------------------------------------------------------------------


def autopay_pass(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Send again the charges that got no answer (same key), give up those older than a
    day, and close setups whose card payment never saved a card."""
    now = now or timezone.now()
    report = {"resent": 0, "given_up": 0, "setups_closed": 0}
    open_charges = AutopayCharge.objects.filter(status=AutopayChargeStatus.SENT).select_related(
        "payment"
    )
    for charge in list(open_charges[:200]):
        payment = charge.payment
        if payment.status != PaymentStatus.PENDING or payment.gateway_payment_id:
            continue  # answered; the network's notification or the payments pass finishes it
        if charge.created_at < now - RESEND_FOR:
            with transaction.atomic():
                if Payment.objects.filter(
                    pk=payment.pk, status=PaymentStatus.PENDING, gateway_payment_id=""
                ).update(status=PaymentStatus.FAILED, closed_at=now):
                    AutopayCharge.objects.filter(pk=charge.pk).update(
                        status=AutopayChargeStatus.FAILED,
                        reason="no_answer",
                        finished_at=now,
                    )
                    report["given_up"] += 1
                    _notify(
                        Autopay.objects.select_related("client").get(pk=charge.autopay_id),
                        gettext_lazy("Card autopay: the charge of %(amount)s was not made"),
                        gettext_lazy(
                            "The payment network did not answer for a day, so nothing was "
                            "charged. Autopay tries again at the next low-balance alert; pay by "
                            "other means to keep the service on."
                        ),
                        managers=True,
                        amount=LocalMoney(payment.amount),
                    )
            continue
        charge_send(payment_id=payment.pk)
        report["resent"] += 1
    for autopay in Autopay.objects.filter(status=AutopayStatus.SETTING_UP).select_related(
        "setup_payment"
    ):
        with transaction.atomic():
            locked = (
                Autopay.objects.select_for_update()
                .select_related("setup_payment")
                .get(pk=autopay.pk)
            )
            if locked.status == AutopayStatus.SETTING_UP and _check_setup(locked, now):
                report["setups_closed"] += 1
    return report

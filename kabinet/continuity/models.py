"""Promised payments (обещанный платёж): a short credit a company's administrator takes in
the cabinet when the balance is low, granted at once within the operator's rules."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from kabinet.accounts.models import Client


class CreditRules(models.Model):
    """The operator's rules for promised payments (one row; managers change it, audited)."""

    enabled = models.BooleanField(_("promised payments on"), default=True)
    max_amount = models.DecimalField(
        _("at most, ₽"), max_digits=12, decimal_places=2, default=Decimal("3000.00")
    )
    # 0: no share limit; otherwise the limit is also at most this share of a month's charges.
    max_share = models.PositiveSmallIntegerField(
        _("at most, percent of a month's charges"), default=100
    )
    valid_days = models.PositiveSmallIntegerField(_("valid for, days"), default=5)
    per_30_days = models.PositiveSmallIntegerField(_("at most per 30 days"), default=2)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("promised payment rules")
        verbose_name_plural = _("promised payment rules")

    def __str__(self) -> str:
        return "promised payment rules"


class CreditBar(models.Model):
    """A client a manager barred from promised payments; lifting keeps the row."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="credit_bars")
    reason = models.CharField(_("reason"), max_length=300)
    barred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    barred_at = models.DateTimeField(_("barred"), default=timezone.now)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lifted_at = models.DateTimeField(_("lifted"), null=True, blank=True)

    class Meta:
        verbose_name = _("promised payment bar")
        verbose_name_plural = _("promised payment bars")
        constraints = [
            models.UniqueConstraint(
                fields=["client"], condition=Q(lifted_at__isnull=True), name="credit_bar_one_active"
            )
        ]

    def __str__(self) -> str:
        return f"{self.client_id}: {self.reason}"


class CreditStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("promised payment", "Open")
    PAID = "paid", pgettext_lazy("promised payment", "Paid back")
    EXPIRED = "expired", pgettext_lazy("promised payment", "Overdue")
    REVOKED = "revoked", pgettext_lazy("promised payment", "Revoked")


class PromisedPayment(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="promised_payments")
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    # Payments credited after the grant, counted towards paying it back.
    paid_amount = models.DecimalField(
        _("paid back"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    status = models.CharField(
        _("status"), max_length=8, choices=CreditStatus.choices, default=CreditStatus.OPEN
    )
    granted_at = models.DateTimeField(_("granted"), default=timezone.now)
    valid_until = models.DateTimeField(_("pay back by"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # What the person agreed to, as shown before confirming.
    terms = models.TextField(_("terms"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoke_reason = models.CharField(_("reason"), max_length=300, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("promised payment")
        verbose_name_plural = _("promised payments")
        ordering = ["-granted_at"]
        constraints = [
            # Two requests at once can never both grant: one open credit per client.
            models.UniqueConstraint(
                fields=["client"], condition=Q(status="open"), name="credit_one_open"
            )
        ]
        indexes = [
            models.Index(fields=["client", "-granted_at"], name="credit_client_idx"),
            models.Index(fields=["status", "valid_until"], name="credit_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.client_id} {self.amount} {self.status}"

    @property
    def left_to_pay(self) -> Decimal:
        return max(self.amount - self.paid_amount, Decimal("0.00"))

    @property
    def is_overdue(self) -> bool:
        return self.status == CreditStatus.EXPIRED or (
            self.status == CreditStatus.OPEN and self.valid_until < timezone.now()
        )


class AutoInvoicePolicy(models.Model):
    """A company's standing order for automatic invoices: when its low-balance alert fires,
    Kabinet issues an invoice that brings the balance to ``days`` of spending and e-mails the
    PDF to the accounting contacts."""

    client = models.OneToOneField(
        Client, primary_key=True, on_delete=models.CASCADE, related_name="auto_invoice"
    )
    enabled = models.BooleanField(_("issue invoices automatically"), default=False)
    days = models.PositiveSmallIntegerField(_("enough for, days"), default=30)
    emails = models.TextField(_("accounting e-mails"), blank=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("automatic invoices")
        verbose_name_plural = _("automatic invoices")

    def __str__(self) -> str:
        return f"{self.client_id}: {self.enabled}"

    @property
    def email_list(self) -> list[str]:
        return [e for e in self.emails.split() if e]


class AutoInvoice(models.Model):
    """An invoice Kabinet issued by itself (at most one unpaid at a time per company)."""

    invoice = models.OneToOneField(
        "accounting.Invoice", primary_key=True, on_delete=models.PROTECT, related_name="+"
    )
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    sent_to = models.TextField(blank=True)

    def __str__(self) -> str:
        return str(self.invoice_id)


class AutopayStatus(models.TextChoices):
    # Waiting for the first card payment, which saves the card.
    SETTING_UP = "setting_up", pgettext_lazy("autopay", "Waiting for the card payment")
    ACTIVE = "active", pgettext_lazy("autopay", "On")
    # The first payment ended without a saved card (declined, abandoned, not saved).
    NOT_SAVED = "not_saved", pgettext_lazy("autopay", "Card not saved")
    OFF = "off", pgettext_lazy("autopay", "Turned off")
    # Two declines in a row, or the network says the card can no longer be charged.
    STOPPED = "stopped", pgettext_lazy("autopay", "Stopped after declines")


# The statuses that hold a company's one autopay slot.
AUTOPAY_LIVE = (AutopayStatus.SETTING_UP, AutopayStatus.ACTIVE)


class Autopay(models.Model):
    """A company's card autopay: the saved card (the network's method id, forgotten when it
    ends), the amount charged when the balance runs low, and the recorded consent."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="autopays")
    status = models.CharField(
        _("status"), max_length=12, choices=AutopayStatus.choices, default=AutopayStatus.SETTING_UP
    )
    provider = models.CharField(_("provider"), max_length=16)
    amount = models.DecimalField(_("amount charged"), max_digits=12, decimal_places=2)
    email = models.EmailField(_("e-mail for receipts"))
    # The network's id of the saved card: blank until saved, blanked when autopay ends.
    method_id = models.CharField(max_length=64, blank=True)
    card_title = models.CharField(_("card"), max_length=100, blank=True)
    setup_payment = models.OneToOneField(
        "payments.Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The consent as shown, who gave it, when and from where.
    consent_text = models.TextField(_("consent"))
    consented_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    consented_at = models.DateTimeField(_("consented"), default=timezone.now)
    consent_ip = models.GenericIPAddressField(null=True, blank=True)
    declines = models.PositiveSmallIntegerField(_("declines in a row"), default=0)
    activated_at = models.DateTimeField(_("turned on"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    end_reason = models.CharField(_("why it ended"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("card autopay")
        verbose_name_plural = _("card autopays")
        ordering = ["-consented_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["client"],
                condition=Q(status__in=["setting_up", "active"]),
                name="autopay_one_live",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="autopay_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.client_id} {self.status} {self.amount}"


class AutopayChargeStatus(models.TextChoices):
    SENT = "sent", pgettext_lazy("autopay charge", "Being charged")
    PAID = "paid", pgettext_lazy("autopay charge", "Charged")
    DECLINED = "declined", pgettext_lazy("autopay charge", "Declined")
    FAILED = "failed", pgettext_lazy("autopay charge", "Not made")


class AutopayCharge(models.Model):
    """One charge of a saved card, made when the company's balance crossed its threshold;
    ``day`` (the operator's date) makes a second charge on the same day impossible."""

    autopay = models.ForeignKey(Autopay, on_delete=models.PROTECT, related_name="charges")
    payment = models.OneToOneField(
        "payments.Payment", on_delete=models.PROTECT, related_name="autopay_charge"
    )
    day = models.DateField()
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=AutopayChargeStatus.choices,
        default=AutopayChargeStatus.SENT,
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("autopay charge")
        verbose_name_plural = _("autopay charges")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["autopay", "day"], name="autopay_charge_one_a_day")
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="autopay_charge_status_idx")]

    def __str__(self) -> str:
        return f"{self.autopay_id} {self.day} {self.status}"

    @property
    def reason_words(self) -> str:
        return decline_words(self.reason)


# YooKassa's cancellation reasons ("Declined payments") in words a client understands.
_DECLINE_WORDS = {
    "insufficient_funds": _("not enough money on the card"),
    "card_expired": _("the card has expired"),
    "permission_revoked": _("the card holder revoked the permission for autopay"),
    "fraud_suspected": _("the bank suspected fraud"),
    "issuer_unavailable": _("the bank that issued the card did not answer"),
    "payment_method_restricted": _("the card cannot be used for this payment"),
    "payment_method_limit_exceeded": _("the card's limit is exceeded"),
    "call_issuer": _("the bank declined without a reason; call the bank"),
    # Ours: nothing was charged.
    "no_answer": _("the payment network did not answer for a day"),
    "autopay_ended": _("autopay was turned off before the charge was sent"),
}


def decline_words(reason: str) -> str:
    words = _DECLINE_WORDS.get(reason)
    if words is not None:
        return str(words)
    return gettext("declined by the payment network (%(code)s)") % {"code": reason or "?"}

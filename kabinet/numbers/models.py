"""The client's phone numbers (as billing assigns them) and call labelling (маркировка
звонков): what a called person's phone shows — the company, its category and a short text —
under the agreement the law requires since 1 September 2025."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kabinet.accounts.models import Client
from kabinet.lib.i18n import pick


def format_number(digits: str) -> str:
    """78124001001 → "+7 812 400-10-01"; other lengths as "+" and the digits."""
    if len(digits) == 11 and digits[0] == "7":
        return f"+7 {digits[1:4]} {digits[4:7]}-{digits[7:9]}-{digits[9:11]}"
    return f"+{digits}"


class PhoneNumber(models.Model):
    """A number of a contract from ``assigned_at`` until ``released_at`` (kept after)."""

    number = models.CharField(_("number"), max_length=15)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="phone_numbers")
    subscription = models.ForeignKey(
        "subscriptions.Subscription",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="phone_numbers",
    )
    assigned_at = models.DateTimeField(_("since"))
    released_at = models.DateTimeField(_("released"), null=True, blank=True)

    class Meta:
        verbose_name = _("phone number")
        verbose_name_plural = _("phone numbers")
        ordering = ["number", "-assigned_at"]
        constraints = [
            # A number belongs to one contract at a time.
            models.UniqueConstraint(
                fields=["number"], condition=Q(released_at__isnull=True), name="number_one_holder"
            )
        ]
        indexes = [models.Index(fields=["client", "number"], name="number_client_idx")]

    def __str__(self) -> str:
        return self.display

    @property
    def display(self) -> str:
        return format_number(self.number)

    @property
    def is_current(self) -> bool:
        return self.released_at is None


class CallCategory(models.Model):
    """A category of calls from the list the operators agreed on; managers keep the list
    (a category no longer offered is turned off, never deleted)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name (Russian)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    is_active = models.BooleanField(_("offered"), default=True)
    position = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("call category")
        verbose_name_plural = _("call categories")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return pick(self.name, self.name_en)


class ConsentText(models.Model):
    """A version of the consent to pass the company's data to other operators. A change adds
    a version; applications keep the version their signer agreed to."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    text = models.TextField(_("text (Russian)"))
    text_en = models.TextField(_("text (English)"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("consent text")
        verbose_name_plural = _("consent texts")
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"v{self.version}"

    @property
    def display_text(self) -> str:
        return pick(self.text, self.text_en)


class CallLabel(models.Model):
    """A company's labelling: one id for billing (``label_id``) across its versions, until it
    is withdrawn (a later application starts a new one)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="call_labels")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # The newest version sent to billing: statuses of older ones change nothing on screen.
    sent_version = models.PositiveIntegerField(default=0)
    withdrawn_at = models.DateTimeField(_("withdrawal asked"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("call labelling")
        verbose_name_plural = _("call labelling")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["client"],
                condition=Q(withdrawn_at__isnull=True),
                name="call_label_one_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.client_id}: {self.pk}"


class LabelStatus(models.TextChoices):
    MODERATION = "moderation", pgettext_lazy("call label", "In moderation")
    DECLINED = "declined", pgettext_lazy("call label", "Declined by the operator")
    SUBMITTED = "submitted", pgettext_lazy("call label", "Sent to the operators")
    ACCEPTED = "accepted", pgettext_lazy("call label", "Accepted")
    ACTIVE = "active", pgettext_lazy("call label", "Active")
    REJECTED = "rejected", pgettext_lazy("call label", "Rejected by the operators")
    SUPERSEDED = "superseded", pgettext_lazy("call label", "Replaced by a newer version")
    WITHDRAWN = "withdrawn", pgettext_lazy("call label", "Withdrawn")


# A version billing knows of, whose status billing decides from now on.
SENT_STATUSES = (LabelStatus.SUBMITTED, LabelStatus.ACCEPTED, LabelStatus.ACTIVE)


class CallLabelVersion(models.Model):
    """One application (заявление): what the company asked to show, who signed and agreed to
    pass the data on, and what became of it."""

    label = models.ForeignKey(CallLabel, on_delete=models.PROTECT, related_name="versions")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(_("version"))
    legal_name = models.CharField(_("legal name"), max_length=300)
    brand = models.CharField(_("commercial designation"), max_length=100, blank=True)
    category = models.ForeignKey(
        CallCategory, on_delete=models.PROTECT, related_name="+", verbose_name=_("category")
    )
    display_text = models.CharField(_("display text"), max_length=32)
    # Digits with the country code, as billing sends them.
    numbers = models.JSONField(_("numbers"), default=list)
    consent = models.ForeignKey(ConsentText, on_delete=models.PROTECT, related_name="+")
    consented_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    consented_at = models.DateTimeField(_("signed"))
    consent_ip = models.GenericIPAddressField(_("from address"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=LabelStatus.choices, default=LabelStatus.MODERATION
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    status_at = models.DateTimeField(_("status since"), default=timezone.now)
    # The signed application as a PDF, kept with it (like billing's documents, in the
    # database: it is written in the application's own transaction).
    pdf = models.BinaryField(blank=True, default=b"")

    class Meta:
        verbose_name = _("labelling application")
        verbose_name_plural = _("labelling applications")
        ordering = ["-consented_at", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["label", "version"], name="call_label_version_unique"),
            # Two submissions at once can never both be in moderation.
            models.UniqueConstraint(
                fields=["client"],
                condition=Q(status="moderation"),
                name="call_label_one_in_moderation",
            ),
        ]
        indexes = [models.Index(fields=["status", "consented_at"], name="call_label_status_idx")]

    def __str__(self) -> str:
        return f"{self.label_id} v{self.version}"

    @property
    def numbers_display(self) -> list[str]:
        return [format_number(n) for n in self.numbers]

    @property
    def name_matches_contract(self) -> bool:
        return self.legal_name.strip().casefold() == self.client.name.strip().casefold()


class CallLabelEvent(models.Model):
    """Every ``call_label.status`` billing sent, applied or not (an older version's)."""

    label = models.ForeignKey(CallLabel, on_delete=models.PROTECT, related_name="events")
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=12)
    reason = models.CharField(max_length=500, blank=True)
    as_of = models.DateTimeField()
    applied = models.BooleanField(default=False)
    package = models.ForeignKey(
        "exchange.ExchangePackage", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-as_of", "-id"]

    def __str__(self) -> str:
        return f"{self.label_id} v{self.version}: {self.status}"

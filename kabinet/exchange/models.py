from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxRecord(models.Model):
    """One website→billing record (specs/billing-exchange.md), written in the same
    transaction as the change it describes, so nothing is missed or exported twice."""

    # Export order is the order of this auto-incrementing key.
    id = models.BigAutoField(primary_key=True)
    record_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(_("type"), max_length=32)
    at = models.DateTimeField(_("when"), default=timezone.now)
    data = models.JSONField(_("data"))
    # The record's contract (data["contract"]), as a column: a client's billing page reads
    # its payments from here, and a JSON lookup cannot use an index on every database.
    contract = models.CharField(_("contract"), max_length=20, blank=True, default="")
    # Set when exported; the package says whether billing has confirmed it.
    package_sequence = models.PositiveIntegerField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("outbox record")
        verbose_name_plural = _("outbox records")
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["id"],
                condition=models.Q(package_sequence__isnull=True),
                name="outbox_pending_idx",
            ),
            models.Index(fields=["contract", "type"], name="outbox_contract_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.record_id}"

    def as_line(self) -> dict:
        return {
            "id": str(self.record_id),
            "type": self.type,
            "at": self.at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "data": self.data,
        }


class Direction(models.TextChoices):
    SITE_TO_BILLING = "site-to-billing", _("website → billing")
    BILLING_TO_SITE = "billing-to-site", _("billing → website")


class PackageStatus(models.TextChoices):
    EXPORTED = "exported", _("Exported")
    CONFIRMED = "confirmed", _("Confirmed by billing")
    IMPORTED = "imported", _("Imported")
    REJECTED = "rejected", _("Rejected")


class ExchangePackage(models.Model):
    """One package either way. Rejected uploads are kept too, with the reasons."""

    direction = models.CharField(_("direction"), max_length=16, choices=Direction.choices)
    # Null for a rejected upload whose manifest could not be trusted.
    sequence = models.PositiveIntegerField(_("sequence"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=PackageStatus.choices)
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64, blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    record_count = models.PositiveIntegerField(_("records"), default=0)
    applied_count = models.PositiveIntegerField(_("records applied"), default=0)
    skipped_count = models.PositiveIntegerField(_("records seen before"), default=0)
    ack_through = models.PositiveIntegerField(_("acknowledges through"), default=0)
    manifest_created_at = models.DateTimeField(_("created by sender"), null=True, blank=True)
    report = models.TextField(_("report"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_repr = models.CharField(_("who"), max_length=254, default="system")
    created_at = models.DateTimeField(_("when"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    # The exported file, byte for byte (private: downloaded only through a manager view).
    file = models.FileField(_("file"), upload_to="private/exchange/", blank=True)

    class Meta:
        verbose_name = _("exchange package")
        verbose_name_plural = _("exchange packages")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["direction", "sequence"],
                condition=~models.Q(status="rejected"),
                name="exchange_package_sequence_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(status="rejected") | models.Q(sequence__isnull=False),
                name="exchange_package_sequence_present",
            ),
        ]
        indexes = [models.Index(fields=["direction", "status", "sequence"])]

    def __str__(self) -> str:
        return f"{self.direction} #{self.sequence or '—'} ({self.status})"

    @property
    def is_outgoing(self) -> bool:
        return self.direction == Direction.SITE_TO_BILLING

    @property
    def badge(self) -> str:
        return {"exported": "warning", "rejected": "danger"}.get(self.status, "success")


class ImportedRecord(models.Model):
    """Ids of billing records already applied: a record seen before is never applied twice."""

    record_id = models.UUIDField(unique=True)
    package = models.ForeignKey(ExchangePackage, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("imported record")
        verbose_name_plural = _("imported records")

    def __str__(self) -> str:
        return str(self.record_id)


class BalanceSnapshot(models.Model):
    client = models.ForeignKey(
        "accounts.Client", on_delete=models.PROTECT, related_name="balance_snapshots"
    )
    balance = models.DecimalField(_("balance"), max_digits=14, decimal_places=2)
    as_of = models.DateTimeField(_("as of"))
    package = models.ForeignKey(ExchangePackage, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("balance snapshot")
        verbose_name_plural = _("balance snapshots")
        ordering = ["-as_of", "-id"]
        indexes = [models.Index(fields=["client", "-as_of", "-id"])]

    def __str__(self) -> str:
        return f"{self.client_id}: {self.balance} @ {self.as_of:%Y-%m-%d %H:%M}"


class Charge(models.Model):
    client = models.ForeignKey("accounts.Client", on_delete=models.PROTECT, related_name="charges")
    charge_id = models.CharField(_("charge id"), max_length=100, unique=True)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    period = models.CharField(_("period"), max_length=7)
    description = models.CharField(_("description"), max_length=500)
    package = models.ForeignKey(ExchangePackage, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("charge")
        verbose_name_plural = _("charges")
        ordering = ["-period", "id"]
        indexes = [models.Index(fields=["client", "period"])]

    def __str__(self) -> str:
        return f"{self.period} {self.description}: {self.amount}"


class Zone(models.TextChoices):
    LOCAL = "local", _("Local")
    LONG_DISTANCE = "long_distance", _("Long distance")
    INTERNATIONAL = "international", _("International")


class UsageSummary(models.Model):
    client = models.ForeignKey("accounts.Client", on_delete=models.PROTECT, related_name="usage")
    period = models.CharField(_("period"), max_length=7)
    zone = models.CharField(_("zone"), max_length=16, choices=Zone.choices)
    calls = models.PositiveIntegerField(_("calls"))
    minutes = models.PositiveIntegerField(_("minutes"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    package = models.ForeignKey(ExchangePackage, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("usage summary")
        verbose_name_plural = _("usage summaries")
        ordering = ["-period", "zone"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "period", "zone"], name="usage_summary_client_period_zone"
            )
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.zone}: {self.minutes} min"


class DocumentKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    ACT = "act", _("Act")
    RECONCILIATION = "reconciliation", _("Reconciliation statement")


class BillingDocument(models.Model):
    client = models.ForeignKey(
        "accounts.Client", on_delete=models.PROTECT, related_name="billing_documents"
    )
    document_id = models.CharField(_("document id"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=DocumentKind.choices)
    number = models.CharField(_("number"), max_length=100)
    date = models.DateField(_("date"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    # In the database, not on disk: it arrives and rolls back with the import's transaction.
    pdf = models.BinaryField(_("PDF"), blank=True, default=b"")
    has_pdf = models.BooleanField(_("has a PDF"), default=False)
    package = models.ForeignKey(ExchangePackage, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("billing document")
        verbose_name_plural = _("billing documents")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["client", "-date"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

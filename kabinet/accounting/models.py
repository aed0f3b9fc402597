"""Bank-transfer documents the client issues itself: invoices (счёт на оплату) in the
operator's numbered series, and reconciliation statements (акт сверки)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kabinet.accounts.models import Client


class InvoiceCounter(models.Model):
    """The last number of a year's series. Numbers are taken under this row's lock in the
    invoice's own transaction, so a rolled-back invoice gives its number back: no gaps."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class InvoiceStatus(models.TextChoices):
    ISSUED = "issued", pgettext_lazy("invoice status", "Waiting for payment")
    PAID = "paid", pgettext_lazy("invoice status", "Paid")
    CANCELLED = "cancelled", pgettext_lazy("invoice status", "Cancelled")


class InvoiceQuerySet(models.QuerySet["Invoice"]):
    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("Invoices are never deleted; cancel them.")


class Invoice(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.PROTECT, related_name="invoices"
    )
    year = models.PositiveIntegerField()
    sequence = models.PositiveIntegerField()
    number = models.CharField(_("number"), max_length=40, unique=True)
    date = models.DateField(_("date"))
    period = models.DateField(_("period"), help_text="the first day of the month it pays for")
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    vat_rate = models.CharField(_("VAT rate"), max_length=8)
    vat_amount = models.DecimalField(_("VAT"), max_digits=14, decimal_places=2)
    purpose = models.CharField(_("payment purpose"), max_length=210)
    # The operator's and the client's requisites as they were when it was issued: the
    # document never changes when settings or the client's card change later.
    supplier = models.JSONField()
    buyer = models.JSONField()
    status = models.CharField(
        _("status"), max_length=16, choices=InvoiceStatus.choices, default=InvoiceStatus.ISSUED
    )
    payment = models.ForeignKey(
        "payments.Payment",
        verbose_name=_("paid by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-date", "-year", "-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="invoice_number_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="invoice_amount_positive"),
            models.CheckConstraint(
                condition=Q(status__in=InvoiceStatus.values), name="invoice_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["client", "-date"], name="invoice_client_date_idx")]

    def __str__(self) -> str:
        return f"№ {self.number} ({self.amount:.2f} RUB)"

    @property
    def total_without_vat(self) -> Decimal:
        return self.amount - self.vat_amount


class StatementQuerySet(models.QuerySet["Statement"]):
    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("Reconciliation statements are never deleted.")


class Statement(models.Model):
    """A reconciliation statement (акт сверки) as it was built when the client asked for it:
    the lines are kept, so it reads the same later even if billing corrects a charge."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.PROTECT, related_name="statements"
    )
    date_from = models.DateField(_("from"))
    date_to = models.DateField(_("to"))
    opening = models.DecimalField(_("opening balance"), max_digits=14, decimal_places=2)
    debit = models.DecimalField(_("debit turnover"), max_digits=14, decimal_places=2)
    credit = models.DecimalField(_("credit turnover"), max_digits=14, decimal_places=2)
    closing = models.DecimalField(_("closing balance"), max_digits=14, decimal_places=2)
    lines = models.JSONField(default=list)
    supplier = models.JSONField()
    buyer = models.JSONField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = StatementQuerySet.as_manager()

    class Meta:
        verbose_name = _("reconciliation statement")
        verbose_name_plural = _("reconciliation statements")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["client", "-created_at"], name="statement_client_idx")]

    def __str__(self) -> str:
        return f"{self.date_from:%d.%m.%Y}–{self.date_to:%d.%m.%Y}"

    @property
    def rows(self) -> list[dict[str, Any]]:
        """The stored lines with dates and money as Python values (for the page)."""
        return [
            {
                "date": dt.date.fromisoformat(line["date"]),
                "text": line["text"],
                "debit": Decimal(line["debit"]),
                "credit": Decimal(line["credit"]),
            }
            for line in self.lines
        ]

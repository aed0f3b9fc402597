"""How long each client's money will last, and when the client wants to hear about it."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kabinet.accounts.models import Client


class ClientForecast(models.Model):
    """The last computed forecast of a client (the scheduled pass writes one row per client,
    and a screen writes a client's row again when it had to compute it afresh: none from
    today, or a subscription changed since); the manager's client list filters and sorts on
    it. Screens take the spend from here when it was computed today and the balance live
    (``selectors.client_forecast``)."""

    client = models.OneToOneField(
        Client, primary_key=True, on_delete=models.CASCADE, related_name="forecast"
    )
    balance = models.DecimalField(_("balance"), max_digits=14, decimal_places=2)
    daily_spend = models.DecimalField(_("daily spend"), max_digits=14, decimal_places=2)
    monthly_fees = models.DecimalField(
        _("monthly fees"), max_digits=14, decimal_places=2, default=Decimal("0.00")
    )
    usage_average = models.DecimalField(
        _("usage, a month on average"), max_digits=14, decimal_places=2, default=Decimal("0.00")
    )
    # None: nothing is spent (no forecast); 0: the balance is at or below zero.
    days_left = models.IntegerField(_("days left"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed"), default=timezone.now)

    class Meta:
        verbose_name = _("balance forecast")
        verbose_name_plural = _("balance forecasts")
        indexes = [
            models.Index(
                fields=["days_left"], condition=Q(days_left__isnull=False), name="forecast_days_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.client_id}: {self.days_left} days"


class ThresholdKind(models.TextChoices):
    DAYS = "days", _("Days left")
    MONEY = "money", _("Balance in roubles")


class AlertPolicy(models.Model):
    """A company's low-balance alert: the threshold, who hears of it, and whether it is
    armed (it fires once per crossing and re-arms when the balance is above it again)."""

    client = models.OneToOneField(
        Client, primary_key=True, on_delete=models.CASCADE, related_name="alert_policy"
    )
    enabled = models.BooleanField(_("alerts on"), default=True)
    kind = models.CharField(
        _("threshold in"), max_length=8, choices=ThresholdKind.choices, default=ThresholdKind.DAYS
    )
    days = models.PositiveSmallIntegerField(_("days left"), default=7)
    amount = models.DecimalField(
        _("balance below, ₽"), max_digits=12, decimal_places=2, default=Decimal("1000.00")
    )
    # Empty: every administrator of the company.
    recipients = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("who is told")
    )
    armed = models.BooleanField(default=True)
    last_alert_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("low-balance alert")
        verbose_name_plural = _("low-balance alerts")

    def __str__(self) -> str:
        return f"{self.client_id}: {self.kind}"

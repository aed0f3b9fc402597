from __future__ import annotations

from typing import Any

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Disconnected")


class Subscription(models.Model):
    """A client's connected service on a tariff, with its parameter values."""

    client = models.ForeignKey(
        "accounts.Client", on_delete=models.PROTECT, related_name="subscriptions"
    )
    service = models.ForeignKey(
        "catalog.Service", on_delete=models.PROTECT, related_name="subscriptions"
    )
    tariff = models.ForeignKey(
        "catalog.Tariff", on_delete=models.PROTECT, related_name="subscriptions"
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=SubscriptionStatus.choices,
        default=SubscriptionStatus.ACTIVE,
    )
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    created_at = models.DateTimeField(_("connected"), default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(_("disconnected"), null=True, blank=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["client", "service__position", "id"]
        indexes = [
            models.Index(fields=["tariff", "status"], name="subscription_tariff_idx"),
            models.Index(fields=["client", "status"], name="subscription_client_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.client.contract_number}: {self.service} ({self.tariff})"

    def get_absolute_url(self) -> str:
        return reverse("cabinet:subscription_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status != SubscriptionStatus.CLOSED

    def parameter_rows(self) -> list[tuple[Any, Any, str]]:
        """(spec, value, shown value) for each parameter of the service's schema."""
        rows = []
        for spec in self.service.parameters.all():
            value = self.parameters.get(spec.code, spec.default)
            rows.append((spec, value, spec.display_value(value)))
        return rows

from __future__ import annotations

import datetime as dt
import uuid

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
            )
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

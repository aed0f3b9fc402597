from __future__ import annotations

from django.db import models
from django.utils import timezone


class ProcessedUpdate(models.Model):
    """An update Telegram delivered to the webhook, kept so that a repeated delivery (Telegram
    retries until it gets a 200) is recognised by its ``update_id`` and not acted on twice.
    Kept a week: Telegram stops retrying after a day."""

    update_id = models.BigIntegerField(primary_key=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return str(self.update_id)

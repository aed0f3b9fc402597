from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CallDirection(models.TextChoices):
    OUT = "out", _("Outgoing")
    IN = "in", _("Incoming")


class CallZone(models.TextChoices):
    LOCAL = "local", _("Local")
    LONG_DISTANCE = "long_distance", _("Long distance")
    INTERNATIONAL = "international", _("International")
    INCOMING = "incoming", pgettext_lazy("zone", "Incoming")


class Call(models.Model):
    """One call as billing rated it (``call.detail``, specs/billing-exchange.md).

    On PostgreSQL the table is partitioned by the operator's calendar month on
    ``started_at`` (migration 0002): the primary key there is (id, started_at), and
    ``call_id`` is unique together with ``started_at`` — the import checks ``call_id`` alone.
    """

    id = models.BigAutoField(primary_key=True)
    # The composite indexes below lead with the client: no index of its own.
    client = models.ForeignKey(
        "accounts.Client", on_delete=models.PROTECT, related_name="calls", db_index=False
    )
    call_id = models.CharField(_("billing's call id"), max_length=100, unique=True)
    started_at = models.DateTimeField(_("started"))
    direction = models.CharField(_("direction"), max_length=3, choices=CallDirection.choices)
    number = models.CharField(_("own number"), max_length=15)
    peer = models.CharField(_("other party"), max_length=20, blank=True)
    zone = models.CharField(_("zone"), max_length=16, choices=CallZone.choices)
    duration_s = models.PositiveIntegerField(_("duration, s"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        indexes = [
            # The page and the export: this client, this period, newest first (keyset).
            models.Index(fields=["client", "-started_at", "-id"], name="calls_client_time_idx"),
            # The same for one of the client's numbers (the Numbers screen links here).
            models.Index(
                fields=["client", "number", "-started_at"], name="calls_client_number_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.call_id} {self.number} → {self.peer or '—'}"


# The duration steps of the calls page's "minimum duration" (seconds): the per-day totals keep
# each step apart, so a filter at a step is answered from them.
DURATION_STEPS = (0, 10, 30, 60, 120, 300, 600, 1800, 3600)


class CallDay(models.Model):
    """The totals of a client's calls of one day (the operator's calendar) for one own number,
    direction, zone and duration step, kept as the calls are stored (kabinet.calls.days).

    The calls page and the Numbers screens read these few rows instead of aggregating a
    month's calls; they are derived data, rebuilt from the calls by ``calls_days``.
    """

    client = models.ForeignKey(
        "accounts.Client", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    day = models.DateField()
    number = models.CharField(max_length=15)
    direction = models.CharField(max_length=3, choices=CallDirection.choices)
    zone = models.CharField(max_length=16, choices=CallZone.choices)
    # The step the calls' durations fall in: at least this, less than the next step.
    min_duration_s = models.PositiveIntegerField()
    calls = models.PositiveIntegerField()
    seconds = models.BigIntegerField()
    # Minutes as billed: each call rounded up.
    minutes = models.BigIntegerField()
    amount = models.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        verbose_name = _("day of calls")
        verbose_name_plural = _("days of calls")
        constraints = [
            # Also the index of every read: this client, these days.
            models.UniqueConstraint(
                fields=["client", "day", "number", "direction", "zone", "min_duration_s"],
                name="calls_day_cell_uniq",
            )
        ]

    def __str__(self) -> str:
        return f"{self.client_id} {self.day} {self.number} {self.direction} {self.zone}"

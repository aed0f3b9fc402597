from __future__ import annotations

from django.db import models


class RateLimitBucket(models.Model):
    """A fixed-window counter kept in the database, so every app server sees the same limits."""

    key = models.CharField(max_length=200, unique=True)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["window_start"], name="ratelimit_window_idx")]

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"


class WorkerHeartbeat(models.Model):
    """The background worker and scheduler write here; /healthz reads it."""

    name = models.CharField(max_length=100, unique=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name


class ScheduledRun(models.Model):
    """When a periodic job was last queued; a conditional update lets only one scheduler win."""

    name = models.CharField(max_length=100, unique=True)
    last_enqueued_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name

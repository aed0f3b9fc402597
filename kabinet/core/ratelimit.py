"""Fixed-window rate limits stored in the database (shared across app servers)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import RateLimitBucket


@dataclass(frozen=True)
class Limit:
    key: str
    max_count: int
    window_seconds: int


def _current(bucket_key: str, window: timedelta) -> RateLimitBucket | None:
    bucket = RateLimitBucket.objects.filter(key=bucket_key).first()
    if bucket and bucket.window_start + window <= timezone.now():
        return None
    return bucket


def ratelimit_retry_after(limit: Limit) -> int:
    """Seconds until the limit frees up; 0 when it is not exhausted."""
    window = timedelta(seconds=limit.window_seconds)
    bucket = _current(limit.key, window)
    if bucket is None or bucket.count < limit.max_count:
        return 0
    remaining = (bucket.window_start + window - timezone.now()).total_seconds()
    return max(1, math.ceil(remaining))


def ratelimit_hit(limit: Limit) -> None:
    """Count one event against the limit."""
    now = timezone.now()
    window = timedelta(seconds=limit.window_seconds)
    with transaction.atomic():
        updated = RateLimitBucket.objects.filter(
            key=limit.key, window_start__gt=now - window
        ).update(count=F("count") + 1)
        if updated:
            return
        try:
            with transaction.atomic():
                RateLimitBucket.objects.update_or_create(
                    key=limit.key, defaults={"window_start": now, "count": 1}
                )
        except IntegrityError:
            # Another server created the bucket at the same moment: count on it.
            RateLimitBucket.objects.filter(key=limit.key).update(count=F("count") + 1)


def ratelimit_reset(limit: Limit) -> None:
    RateLimitBucket.objects.filter(key=limit.key).delete()

"""Fixed-window rate limits stored in the database (shared across app servers)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .models import RateLimitBucket


@dataclass(frozen=True)
class Limit:
    key: str
    max_count: int
    window_seconds: int


class RateLimited(ValidationError):
    """A limit stopped the action. A ValidationError, so forms and messages show it as is;
    views that can answer with a status use ``retry_after`` for 429 and ``Retry-After``."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(wait_message(retry_after), code="rate_limited")


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


def ratelimit_take(*limits: Limit) -> int:
    """Count one event against every limit, unless one is exhausted already.

    Returns 0 when the event may go ahead (and was counted), else the seconds to wait
    (and nothing was counted, so a blocked caller does not extend its own block).
    """
    if len(limits) == 1:
        return _take_one(limits[0])
    wait = max((ratelimit_retry_after(limit) for limit in limits), default=0)
    if wait:
        return wait
    for limit in limits:
        ratelimit_hit(limit)
    return 0


def _take_one(limit: Limit) -> int:
    """``ratelimit_take`` of one limit in one statement (the signed payment endpoints take
    one on every request): an upsert that starts a new window, counts in the current one,
    or — when the limit is exhausted — marks the bucket ``max_count + 1`` and counts nothing
    more, so a blocked caller does not extend its own block."""
    now = timezone.now()
    fresh = connection.ops.adapt_datetimefield_value(now - timedelta(seconds=limit.window_seconds))
    table = connection.ops.quote_name(RateLimitBucket._meta.db_table)
    key, start, count = (connection.ops.quote_name(c) for c in ("key", "window_start", "count"))
    with connection.cursor() as cursor:
        cursor.execute(
            # Identifiers only (quoted names of our own table), every value a parameter.
            f"INSERT INTO {table} ({key}, {start}, {count}) VALUES (%s, %s, 1) "  # noqa: S608
            f"ON CONFLICT ({key}) DO UPDATE SET "
            f"{count} = CASE WHEN {table}.{start} > %s THEN "
            f"CASE WHEN {table}.{count} > %s THEN {table}.{count} ELSE {table}.{count} + 1 END "
            f"ELSE 1 END, "
            f"{start} = CASE WHEN {table}.{start} > %s THEN {table}.{start} "
            f"ELSE excluded.{start} END "
            f"RETURNING {count}",
            [
                limit.key,
                connection.ops.adapt_datetimefield_value(now),
                fresh,
                limit.max_count,
                fresh,
            ],
        )
        row = cursor.fetchone()
    if row is not None and row[0] <= limit.max_count:
        return 0
    return max(1, ratelimit_retry_after(limit))


def wait_minutes(seconds: int) -> int:
    """The wait as people read it: whole minutes, at least one."""
    return max(1, math.ceil(seconds / 60))


def wait_message(seconds: int) -> str:
    """What a person is told when a limit stops them, in their language."""
    from django.utils.translation import ngettext

    minutes = wait_minutes(seconds)
    return ngettext(
        "Too many attempts. Try again in %(n)d minute.",
        "Too many attempts. Try again in %(n)d minutes.",
        minutes,
    ) % {"n": minutes}


def too_many_requests(response: HttpResponse, retry_after: int) -> HttpResponse:
    """Mark a page or an answer as refused by a limit: 429 with ``Retry-After``."""
    response.status_code = 429
    response["Retry-After"] = str(retry_after)
    return response


def ratelimit_enforce(
    request: HttpRequest | None, event: str, *limits: Limit, **fields: object
) -> None:
    """Count one event; when a limit is exhausted, log a security event and raise
    RateLimited (nothing counted)."""
    from .security import security_event

    wait = ratelimit_take(*limits)
    if wait:
        security_event(event, request, retry_after=wait, **fields)
        raise RateLimited(wait)

"""One limit taken in one statement (the signed endpoints' path): counts within the window,
refuses past it without counting, starts a new window when the old one is over."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kabinet.core.models import RateLimitBucket
from kabinet.core.ratelimit import Limit, ratelimit_take

pytestmark = pytest.mark.django_db


def test_one_limit_is_one_statement_and_keeps_the_rules():
    limit = Limit("test:one", max_count=3, window_seconds=600)
    with CaptureQueriesContext(connection) as queries:
        assert ratelimit_take(limit) == 0
    assert len(queries) == 1
    assert ratelimit_take(limit) == 0
    assert ratelimit_take(limit) == 0
    bucket = RateLimitBucket.objects.get(key="test:one")
    assert bucket.count == 3
    started = bucket.window_start
    # Exhausted: refused with the seconds left, and refusals neither count nor extend.
    for _ in range(3):
        wait = ratelimit_take(limit)
        assert 590 <= wait <= 600
    bucket.refresh_from_db()
    assert (bucket.count, bucket.window_start) == (4, started)
    # The window is over: a new one starts with this event.
    RateLimitBucket.objects.filter(key="test:one").update(
        window_start=timezone.now() - dt.timedelta(seconds=601)
    )
    assert ratelimit_take(limit) == 0
    bucket.refresh_from_db()
    assert bucket.count == 1 and bucket.window_start > started
    # Other keys are apart.
    assert ratelimit_take(Limit("test:other", max_count=1, window_seconds=60)) == 0
    assert ratelimit_take(Limit("test:other", max_count=1, window_seconds=60)) > 0
    assert RateLimitBucket.objects.get(key="test:one").count == 1


def test_several_limits_count_nothing_when_one_is_exhausted():
    small = Limit("test:small", max_count=1, window_seconds=60)
    big = Limit("test:big", max_count=10, window_seconds=60)
    assert ratelimit_take(small, big) == 0
    assert ratelimit_take(small, big) > 0
    assert RateLimitBucket.objects.get(key="test:big").count == 1

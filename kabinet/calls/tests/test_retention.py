"""calls_retention: calls older than KABINET_CALLS_RETENTION_MONTHS go (partitions dropped on
PostgreSQL, rows deleted on SQLite); newer ones stay. Partitions are made ahead."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from kabinet.calls import partitions
from kabinet.calls.models import Call

pytestmark = pytest.mark.django_db


def months_ago(count: int) -> dt.datetime:
    month = partitions.add_months(partitions.current_month(), -count)
    return partitions.month_start(month) + dt.timedelta(days=2)


def test_retention_drops_what_is_older_than_the_setting(make_call, company, settings):
    settings.KABINET_CALLS_RETENTION_MONTHS = 3
    make_call(company, months_ago(5), call_id="OLD5")
    make_call(company, months_ago(4), call_id="OLD4")
    make_call(company, months_ago(3), call_id="KEPT3")
    make_call(company, timezone.now() - dt.timedelta(minutes=5), call_id="NOW")
    out = io.StringIO()
    call_command("calls_retention", stdout=out)
    assert sorted(Call.objects.values_list("call_id", flat=True)) == ["KEPT3", "NOW"]
    if partitions.is_partitioned():
        assert "2 partitions dropped" in out.getvalue()
        assert partitions.add_months(partitions.current_month(), -4) not in (
            partitions.existing_partitions()
        )
    else:
        assert "2 rows deleted" in out.getvalue()


def test_retention_default_is_36_months(make_call, company):
    make_call(company, months_ago(37), call_id="OLD")
    make_call(company, months_ago(36), call_id="KEPT")
    call_command("calls_retention", stdout=io.StringIO())
    assert list(Call.objects.values_list("call_id", flat=True)) == ["KEPT"]


def test_partitions_are_made_ahead_on_postgresql():
    made = partitions.partitions_ahead(behind=1, ahead=3)
    if partitions.is_partitioned():
        now = partitions.current_month()
        expected = {partitions.add_months(now, k) for k in range(-1, 4)}
        assert expected <= set(partitions.existing_partitions())
        assert partitions.partitions_ahead(behind=1, ahead=3) == []  # idempotent
    else:
        assert made == []

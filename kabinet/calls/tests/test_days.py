"""The per-day totals (CallDay): kept as calls are stored, equal to summing the calls for
every filter they answer, rebuilt the same from the calls, dropped with retention."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kabinet.calls import partitions
from kabinet.calls.days import calls_store, days_rebuild, step_of
from kabinet.calls.models import DURATION_STEPS, Call, CallDay
from kabinet.calls.selectors import CallFilter, Period, Totals, calls_summary, from_days

pytestmark = pytest.mark.django_db

NOVEMBER = Period.of_month((2026, 11))


def _random_calls(client, count: int, seed: int = 7) -> list[Call]:
    rng = random.Random(seed)
    partitions.ensure_partitions([(2026, 10), (2026, 11), (2026, 12)])
    calls = []
    for i in range(count):
        outgoing = rng.random() < 0.6
        calls.append(
            Call(
                client=client,
                call_id=f"D-{seed}-{i}",
                # Some just around midnight: 21:00 UTC is midnight in Moscow.
                started_at=dt.datetime(2026, 10, 31, 20, 30, tzinfo=dt.UTC)
                + dt.timedelta(hours=rng.randrange(31 * 24), minutes=rng.randrange(60)),
                direction="out" if outgoing else "in",
                number=rng.choice(["78124001001", "78124001002"]),
                peer=f"7{rng.choice(['812', '495'])}{rng.randrange(10**7):07d}",
                zone=rng.choice(["local", "long_distance", "international"])
                if outgoing
                else "incoming",
                duration_s=rng.choice([0, 9, 10, 59, 60, 61, 299, 300, 3599, 3600, 7200])
                if i % 3 == 0
                else rng.randrange(900),
                amount=Decimal(rng.randrange(0, 5000)) / 100 if outgoing else Decimal("0.00"),
            )
        )
    return calls


def _summed(client, flt: CallFilter) -> tuple[Totals, dict[dt.date, int]]:
    """The filter's totals summed call by call in Python: what the page must show."""
    local = ZoneInfo(settings.TIME_ZONE)
    calls = [
        c
        for c in Call.objects.filter(client=client)
        if flt.period.start <= c.started_at < flt.period.end
        and (not flt.number or c.number == flt.number)
        and (not flt.direction or c.direction == flt.direction)
        and (not flt.zone or c.zone == flt.zone)
        and (not flt.peer or c.peer.startswith(flt.peer))
        and (not flt.min_duration or c.duration_s >= flt.min_duration)
    ]
    by_day: dict[dt.date, int] = {}
    for c in calls:
        day = c.started_at.astimezone(local).date()
        by_day[day] = by_day.get(day, 0) + 1
    totals = Totals(
        calls=len(calls),
        seconds=sum(c.duration_s for c in calls),
        minutes=sum((c.duration_s + 59) // 60 for c in calls),
        amount=sum((c.amount for c in calls), Decimal("0.00")),
    )
    return totals, by_day


FILTERS = [
    CallFilter(period=NOVEMBER),
    CallFilter(period=NOVEMBER, direction="out", zone="local", min_duration=60),
    CallFilter(period=NOVEMBER, number="78124001002", min_duration=10),
    CallFilter(period=NOVEMBER, zone="incoming"),
    CallFilter(period=NOVEMBER, min_duration=3600),
    CallFilter(period=Period.of_days(dt.date(2026, 11, 3), dt.date(2026, 11, 5))),
    # Not answered by the days: summed over the calls, the same way.
    CallFilter(period=NOVEMBER, min_duration=61),
    CallFilter(period=NOVEMBER, direction="out", peer="7495"),
]


@pytest.mark.parametrize("flt", FILTERS, ids=lambda f: repr(f)[:90])
def test_the_totals_and_the_days_are_the_calls_summed(company, flt):
    calls_store(_random_calls(company, 600))
    totals, days = calls_summary(company, flt)
    expected, by_day = _summed(company, flt)
    assert expected.calls > 0
    assert totals == expected
    assert {d.date: d.calls for d in days if d.calls} == by_day
    assert [d.date for d in days] == flt.period.days()


def test_the_filters_at_a_step_are_answered_by_the_days_in_one_query(company):
    calls_store(_random_calls(company, 200))
    for flt in FILTERS:
        with CaptureQueriesContext(connection) as queries:
            calls_summary(company, flt)
        assert len(queries) == 1
        table = '"calls_callday"' if from_days(flt) else '"calls_call"'
        assert table in queries[0]["sql"]
    assert [from_days(f) for f in FILTERS] == [True] * 6 + [False] * 2


def test_the_steps(company):
    assert [step_of(s) for s in (0, 9, 10, 29, 30, 59, 60, 3599, 3600, 86400)] == [
        0,
        0,
        10,
        10,
        30,
        30,
        60,
        1800,
        3600,
        3600,
    ]
    assert list(DURATION_STEPS) == sorted(DURATION_STEPS)


def _cells() -> set[tuple]:
    return {
        (
            c.client_id,
            c.day,
            c.number,
            c.direction,
            c.zone,
            c.min_duration_s,
            c.calls,
            c.seconds,
            c.minutes,
            c.amount,
        )
        for c in CallDay.objects.all()
    }


def test_adding_in_batches_and_rebuilding_give_the_same_cells(company, other_company):
    calls = _random_calls(company, 300) + _random_calls(other_company, 100, seed=8)
    for start in range(0, len(calls), 70):  # cells hit again from batch to batch
        calls_store(calls[start : start + 70])
    added = _cells()
    assert len(added) < len(calls)
    assert days_rebuild() == len(added)
    assert _cells() == added
    # One client's cells alone: the other client's stay as they were.
    CallDay.objects.filter(client=company).update(calls=0)
    days_rebuild([company.pk])
    assert _cells() == added


def test_retention_drops_the_days_with_the_calls(company):
    calls_store(_random_calls(company, 50))
    old = Call(
        client=company,
        call_id="OLD-1",
        started_at=dt.datetime(2026, 1, 10, 9, tzinfo=dt.UTC),
        direction="out",
        number="78124001001",
        peer="78120000000",
        zone="local",
        duration_s=30,
        amount=Decimal("1.50"),
    )
    partitions.ensure_partitions([(2026, 1)])
    calls_store([old])
    assert CallDay.objects.filter(day=dt.date(2026, 1, 10)).exists()
    months = (partitions.current_month()[0] - 2026) * 12 + partitions.current_month()[1] - 2
    partitions.calls_retention(months=months)
    assert not CallDay.objects.filter(day__lt=dt.date(2026, 2, 1)).exists()
    assert CallDay.objects.filter(day__gte=dt.date(2026, 11, 1)).exists()


def test_a_crash_after_the_calls_leaves_no_days(company, monkeypatch):
    from kabinet.calls import days

    def broken(calls):
        raise RuntimeError("crash")

    monkeypatch.setattr(days, "days_add", broken)
    with pytest.raises(RuntimeError):
        calls_store(_random_calls(company, 10))
    assert not Call.objects.exists()
    assert not CallDay.objects.exists()


def test_every_cell_key_is_unique(company):
    calls_store(_random_calls(company, 400))
    keys = [
        (c.client_id, c.day, c.number, c.direction, c.zone, c.min_duration_s)
        for c in CallDay.objects.all()
    ]
    assert len(keys) == len(set(keys))
    assert sum(c.calls for c in CallDay.objects.all()) == 400
    assert {c.min_duration_s for c in CallDay.objects.all()} <= set(DURATION_STEPS)


def test_the_rebuild_command(company, capsys):
    from django.core.management import call_command

    calls_store(_random_calls(company, 40))
    cells = _cells()
    CallDay.objects.all().delete()
    call_command("calls_days", company.contract_number)
    assert _cells() == cells
    assert "day totals written" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        call_command("calls_days", "no-such-contract")
    assert _cells() == cells

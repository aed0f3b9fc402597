"""The days-left forecast and the low-balance alert pass."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kabinet.exchange.tests.helpers import import_bytes
from kabinet.forecast import services
from kabinet.forecast.models import AlertPolicy, ClientForecast, ThresholdKind
from kabinet.forecast.selectors import client_forecast, forecast_from, forecasts_for
from kabinet.notifications.models import Notification
from kabinet.payments import agents
from kabinet.payments.selectors import balances_for, client_balance

pytestmark = pytest.mark.django_db

DECEMBER = dt.date(2026, 12, 4)  # 31 days


def stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def pay(client, txn: str, amount: str) -> None:
    agents.payment_accept_agent(
        provider="osmp", txn_id=txn, client=client, amount=Decimal(amount), txn_date="20261204"
    )


def test_the_arithmetic():
    f = forecast_from(Decimal("3100.00"), Decimal("2000.00"), Decimal("1100.00"), DECEMBER)
    assert f.daily_spend == Decimal("100.00")  # (2000 + 1100) / 31
    assert (f.days_left, f.runs_out_on, f.state) == (31, dt.date(2027, 1, 4), "ok")
    assert forecast_from(Decimal("99.99"), Decimal("3100"), Decimal("0"), DECEMBER).days_left == 0
    negative = forecast_from(Decimal("-5.00"), Decimal("3100"), Decimal("0"), DECEMBER)
    assert (negative.days_left, negative.state) == (0, "negative")
    idle = forecast_from(Decimal("500.00"), Decimal("0"), Decimal("0"), DECEMBER)
    assert (idle.days_left, idle.state, idle.runs_out_on) == (None, "none", None)


def test_fees_and_three_months_of_usage(peer, company, subscribe, public_tariff):
    subscribe(company, public_tariff)
    fee = public_tariff.current_version.monthly_fee
    today = timezone.localdate()
    months = []
    year, month = today.year, today.month
    for _ in range(4):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        months.append(f"{year:04d}-{month:02d}")
    # Three months of calls (the fourth, older one, is not counted), over two zones.
    import_bytes(
        peer.package(
            [
                peer.usage("100001", months[0], "local", 10, 100, "300.00"),
                peer.usage("100001", months[0], "international", 1, 5, "300.00"),
                peer.usage("100001", months[1], "local", 10, 100, "300.00"),
                peer.usage("100001", months[2], "local", 10, 100, "300.00"),
                peer.usage("100001", months[3], "local", 10, 100, "9000.00"),
            ]
        )
    )
    pay(company, "1", "10000.00")
    f = client_forecast(company)
    assert f.monthly_fees == fee
    assert f.usage_average == Decimal("400.00")
    assert f.balance == Decimal("10000.00") == client_balance(client=company)


def _site_and_billing_money(peer, company, other_company) -> None:
    """500 paid on the site by the first client; for the second, 650 paid on the site and a
    snapshot of −1000 two hours ago, with billing's own 300 after it and 50 before it."""
    pay(company, "1", "500.00")
    pay(other_company, "2", "650.00")
    now = timezone.now().replace(microsecond=0)
    import_bytes(
        peer.package(
            [
                peer.snapshot("100002", "-1000.00", stamp(now - dt.timedelta(hours=2))),
                peer.received("100002", "B-1", "300.00", stamp(now - dt.timedelta(hours=1))),
                peer.received("100002", "B-0", "50.00", stamp(now - dt.timedelta(hours=3))),
            ]
        )
    )


def test_one_balance_in_batch_and_alone(peer, company, other_company, make_client):
    """The pass's batch figure is the screens' figure, for every kind of client."""
    third = make_client("100003")
    _site_and_billing_money(peer, company, other_company)
    clients = [company, other_company, third]
    batch = balances_for(clients)
    for client in clients:
        assert batch[client.pk] == client_balance(client=client), client
    # −1000 + 650 paid on the website after as_of + 300 received after it (the 50 is inside).
    assert batch[other_company.pk] == Decimal("-50.00")
    assert batch[third.pk] == Decimal("0.00")


def test_a_screens_balance_is_the_one_balance_in_two_queries(
    peer, company, other_company, make_client
):
    """A screen reads today's stored spend with the balance's parts in one query, and the
    site's payments after billing's snapshot in one more: the same balance as every other
    screen, for a client with a snapshot (the site's payments and billing's own receipts
    before and after it) and for clients without one."""
    third = make_client("100003")
    _site_and_billing_money(peer, company, other_company)
    services.forecast_pass()  # today's spend stored for everyone
    pay(other_company, "3", "25.00")  # after the pass: the balance is live
    expected = {
        company.pk: Decimal("500.00"),
        other_company.pk: Decimal("-25.00"),  # −1000 + 650 + 25 + 300 (the 50 is inside)
        third.pk: Decimal("0.00"),
    }
    for client in (company, other_company, third):
        with CaptureQueriesContext(connection) as queries:
            forecast = client_forecast(client)
        assert forecast.balance == expected[client.pk] == client_balance(client=client)
        assert len(queries) == (2 if client == other_company else 1), client


def _spending(company, subscribe, public_tariff, balance: str) -> None:
    subscribe(company, public_tariff)
    pay(company, f"t-{balance}", balance)


def test_the_pass_stores_forecasts_and_alerts_once_per_crossing(
    company, client_user, colleague, subscribe, public_tariff
):
    _spending(company, subscribe, public_tariff, "100.00")
    daily = client_forecast(company).daily_spend
    assert daily > 0 and client_forecast(company).days_left <= 7
    first = services.forecast_pass()
    stored = ClientForecast.objects.get(client=company)
    assert stored.days_left == client_forecast(company).days_left
    assert first.alerts == 1
    alerts = Notification.objects.filter(title__contains="lasts about")
    # Nobody chosen: every administrator (the colleague is an ordinary member).
    assert list(alerts.values_list("user__email", flat=True)) == [client_user.email]
    # Still below: nothing more, however often the pass runs.
    assert services.forecast_pass().alerts == 0
    assert alerts.count() == 1
    # Topped up above the threshold: re-armed; falling again a day later alerts again.
    pay(company, "big", "100000.00")
    assert services.forecast_pass().rearmed == 1
    assert AlertPolicy.objects.get(client=company).armed
    policy = AlertPolicy.objects.get(client=company)
    policy.kind, policy.amount = ThresholdKind.MONEY, Decimal("200000.00")
    policy.save()
    later = timezone.now() + dt.timedelta(days=1, minutes=1)
    assert services.forecast_pass(now=later).alerts == 1


def test_never_more_than_once_a_day(company, client_user, subscribe, public_tariff):
    _spending(company, subscribe, public_tariff, "100.00")
    now = timezone.now()
    assert services.forecast_pass(now=now).alerts == 1
    policy = AlertPolicy.objects.get(client=company)
    policy.armed = True  # re-armed by a short top-up between two passes
    policy.save()
    assert services.forecast_pass(now=now + dt.timedelta(hours=3)).alerts == 0
    assert services.forecast_pass(now=now + dt.timedelta(hours=25)).alerts == 1


def test_chosen_people_and_switched_off(company, client_user, colleague, subscribe, public_tariff):
    _spending(company, subscribe, public_tariff, "100.00")
    policy = AlertPolicy.objects.create(client=company)
    policy.recipients.set([colleague])
    services.forecast_pass()
    assert list(
        Notification.objects.filter(title__contains="lasts about").values_list(
            "user__email", flat=True
        )
    ) == [colleague.email]
    Notification.objects.all().delete()
    policy.refresh_from_db()
    policy.enabled, policy.armed, policy.last_alert_at = False, True, None
    policy.save()
    assert services.forecast_pass().alerts == 0


def test_the_pass_queries_a_fixed_number_of_times_per_batch(make_client, subscribe, public_tariff):
    """Batches of 5 clients cost the same queries whether the batch is 1st or 4th, and
    whatever each client has (no alert fires: balances are large)."""
    clients = [make_client(f"30{n:04d}") for n in range(20)]
    for n, client in enumerate(clients):
        subscribe(client, public_tariff)
        pay(client, f"q{n}", "900000.00")
    services.forecast_pass(batch=5)  # warm up: rows exist, policies default

    def count(batch: int) -> int:
        with CaptureQueriesContext(connection) as ctx:
            services.forecast_pass(batch=batch)
        return len(ctx.captured_queries)

    # Each pass ends with one query that finds no more clients.
    per_batch_of_5 = (count(5) - 1) / 4
    per_batch_of_10 = (count(10) - 1) / 2
    assert per_batch_of_5 == per_batch_of_10
    assert per_batch_of_5 <= 12


def test_forecasts_for_many_is_one_set_of_queries(make_client):
    few = [make_client(f"31{n:04d}") for n in range(2)]
    many = few + [make_client(f"32{n:04d}") for n in range(12)]
    with CaptureQueriesContext(connection) as small:
        forecasts_for(few)
    with CaptureQueriesContext(connection) as large:
        forecasts_for(many)
    assert len(small.captured_queries) == len(large.captured_queries)


def test_screens_reuse_todays_stored_spend_with_the_live_balance(
    company, subscribe, public_tariff, as_client
):
    """After the pass, a screen reads the stored spend (one query, not four) and the balance
    as it is now; a subscription changed since, or a forecast from another day, is computed
    afresh."""
    subscription = subscribe(company, public_tariff)
    pay(company, "1", "1000.00")
    with CaptureQueriesContext(connection) as computed:
        live = client_forecast(company)
    services.forecast_pass()
    with CaptureQueriesContext(connection) as reused:
        again = client_forecast(company)
    assert again == live
    assert len(reused) < len(computed)
    # A payment after the pass: the balance and the days follow it at once.
    pay(company, "2", "2000.00")
    after = client_forecast(company)
    assert after.balance == Decimal("3000.00") == client_balance(client=company)
    assert after.daily_spend == live.daily_spend
    assert (
        after.days_left
        == forecast_from(
            Decimal("3000.00"), live.monthly_fees, live.usage_average, timezone.localdate()
        ).days_left
    )
    home = as_client.get("/cabinet/").content.decode()
    assert "3,000.00" in home or "3 000,00" in home
    # The stored spend is of another day: not used (yesterday's month may have other days).
    stored = ClientForecast.objects.get(client=company)
    stored.monthly_fees = Decimal("999999.00")
    stored.daily_spend = Decimal("99999.00")
    stored.computed_at = timezone.now() - dt.timedelta(days=1)
    stored.save()
    assert client_forecast(company).daily_spend == live.daily_spend
    # Today's, but a subscription changed after it: not used either.
    stored.computed_at = timezone.now()
    stored.save()
    assert client_forecast(company).daily_spend == Decimal("99999.00")
    subscription.parameters = {"note": "changed"}
    subscription.save()
    assert client_forecast(company).daily_spend == live.daily_spend


def test_a_screen_that_computed_the_forecast_stores_it_for_the_next(
    company, subscribe, public_tariff
):
    """Without today's pass, the first screen computes the spend and stores it: the next
    screens read it in one query, with the balance live."""
    subscribe(company, public_tariff)
    pay(company, "1", "500.00")
    assert not ClientForecast.objects.filter(client=company).exists()
    with CaptureQueriesContext(connection) as first:
        computed = client_forecast(company)
    stored = ClientForecast.objects.get(client=company)
    assert (stored.daily_spend, stored.days_left, stored.balance) == (
        computed.daily_spend,
        computed.days_left,
        Decimal("500.00"),
    )
    with CaptureQueriesContext(connection) as second:
        assert client_forecast(company) == computed
    assert len(second) < len(first) - 2
    # A forecast asked for another day is not stored as today's.
    ClientForecast.objects.filter(client=company).delete()
    client_forecast(company, today=timezone.localdate() + dt.timedelta(days=3))
    assert not ClientForecast.objects.filter(client=company).exists()

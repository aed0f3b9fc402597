"""The days-left forecast: the one balance, and what the client spends a day.

    daily spend = (monthly fees of the active subscriptions at their tariffs' current prices
                   + the average monthly usage charges of the last three months billing sent)
                  / the days of the current month
    days left   = the balance / the daily spend, rounded down (0 when the balance is at or
                  below zero; none when nothing is spent)

The same code computes one client's forecast and a thousand clients' in the scheduled pass,
in a fixed number of queries either way. Screens use the spend the pass stored (fees and
usage change with subscriptions, prices and billing's monthly summaries, not with every
payment) and the balance as it is now: ``client_forecast``.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from django.db.models import Max, OuterRef, QuerySet, Subquery
from django.utils import timezone

from kabinet.accounts.models import Client
from kabinet.catalog.models import Tariff
from kabinet.exchange.models import UsageSummary
from kabinet.lib.prepared import prepared
from kabinet.payments.selectors import balance_from_parts, balance_parts, balances_for
from kabinet.subscriptions.models import Subscription, SubscriptionStatus

from .models import ClientForecast
from .store import forecasts_save

ZERO = Decimal("0.00")
USAGE_MONTHS = 3


@dataclass(frozen=True)
class Forecast:
    balance: Decimal
    monthly_fees: Decimal
    usage_average: Decimal  # a month's usage charges, averaged over the last three months
    daily_spend: Decimal
    days_left: int | None
    today: dt.date

    @property
    def state(self) -> str:
        """ "negative" (nothing left), "none" (nothing is spent) or "ok"."""
        if self.balance <= 0:
            return "negative"
        if self.days_left is None:
            return "none"
        return "ok"

    @property
    def runs_out_on(self) -> dt.date | None:
        if self.days_left is None:
            return None
        return self.today + dt.timedelta(days=self.days_left)


def _previous_periods(today: dt.date, count: int) -> list[str]:
    periods, year, month = [], today.year, today.month
    for _ in range(count):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        periods.append(f"{year:04d}-{month:02d}")
    return periods


def forecast_from(
    balance: Decimal,
    monthly_fees: Decimal,
    usage_average: Decimal,
    today: dt.date,
    daily: Decimal | None = None,
) -> Forecast:
    """``daily``: the spend a day when it is already known (stored by the pass today)."""
    if daily is None:
        days_in_month = calendar.monthrange(today.year, today.month)[1]
        daily = ((monthly_fees + usage_average) / days_in_month).quantize(Decimal("0.01"))
    if daily <= 0:
        days_left = 0 if balance <= 0 else None
    elif balance <= 0:
        days_left = 0
    else:
        days_left = int((balance / daily).to_integral_value(rounding=ROUND_FLOOR))
    return Forecast(
        balance=balance,
        monthly_fees=monthly_fees,
        usage_average=usage_average.quantize(Decimal("0.01")),
        daily_spend=daily,
        days_left=days_left,
        today=today,
    )


def forecasts_for(clients: list[Client], today: dt.date | None = None) -> dict[int, Forecast]:
    """Forecasts of many clients by client id, in a fixed number of queries."""
    today = today or timezone.localdate()
    ids = [c.pk for c in clients]
    balances = balances_for(clients)
    fees: dict[int, Decimal] = defaultdict(lambda: ZERO)
    subscribed = list(
        Subscription.objects.filter(client_id__in=ids, status=SubscriptionStatus.ACTIVE)
        .order_by()
        .values_list("client_id", "tariff_id")
    )
    # A few tariffs serve thousands of subscriptions: each tariff's fee is found once.
    fee_of: dict[int, Decimal] = {}
    for tariff in Tariff.objects.filter(pk__in={t for _c, t in subscribed}).prefetch_related(
        "versions"
    ):
        version = tariff.version_on(today)
        fee_of[tariff.pk] = version.monthly_fee if version is not None else ZERO
    for client_id, tariff_id in subscribed:
        fees[client_id] += fee_of.get(tariff_id, ZERO)
    usage: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for client_id, period, amount in UsageSummary.objects.filter(
        client_id__in=ids, period__in=_previous_periods(today, USAGE_MONTHS)
    ).values_list("client_id", "period", "amount"):
        usage[client_id][period] += amount
    result = {}
    for client in clients:
        months = usage.get(client.pk, {})
        average = sum(months.values(), ZERO) / len(months) if months else ZERO
        result[client.pk] = forecast_from(
            balances.get(client.pk, ZERO), fees[client.pk], average, today
        )
    return result


@prepared
def _stored_forecast(client_id: int) -> QuerySet[ClientForecast]:
    """The client's stored spend, when a subscription of theirs last changed, and the parts of
    their balance (compiled once: every cabinet page with a balance reads it)."""
    last_change = (
        Subscription.objects.filter(client_id=OuterRef("client_id"))
        .order_by()
        .values("client_id")
        .annotate(last=Max("updated_at"))
        .values("last")
    )
    return (
        ClientForecast.objects.filter(client_id=client_id)
        .annotate(changed_at=Subquery(last_change), **balance_parts())
        .only("monthly_fees", "usage_average", "daily_spend", "computed_at")
        .order_by()[:1]
    )


def client_forecast(client: Client, today: dt.date | None = None) -> Forecast:
    """One client's forecast for a screen: the balance now, and the spend the scheduled pass
    (or an earlier screen) stored when it is from today and no subscription of the client
    changed since (one query, with the balance's parts, and one for the site's payments after
    billing's balance snapshot); otherwise the spend is computed afresh and stored. The days
    of the month and the prices in force follow the date, so yesterday's spend is never
    used."""
    today = today or timezone.localdate()
    rows = _stored_forecast.models(client_id=client.pk)
    stored = rows[0] if rows else None
    changed_at = getattr(stored, "changed_at", None)  # annotated by _stored_forecast
    fresh = (
        stored is not None
        and timezone.localdate(stored.computed_at) == today
        and (changed_at is None or changed_at <= stored.computed_at)
    )
    if not fresh:
        # Computed afresh (five queries): stored, so the rest of the day's screens read it.
        forecast = forecasts_for([client], today)[client.pk]
        if today == timezone.localdate():
            forecasts_save({client.pk: forecast}, timezone.now())
        return forecast
    assert stored is not None
    balance = balance_from_parts(client, stored)
    return forecast_from(
        balance, stored.monthly_fees, stored.usage_average, today, daily=stored.daily_spend
    )

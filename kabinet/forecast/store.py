"""Writing computed forecasts: the scheduled pass stores every client's, and a screen that
had to compute one afresh stores it too, so the rest of the day's screens reuse it."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from .models import ClientForecast

if TYPE_CHECKING:
    from .selectors import Forecast

STORED_FIELDS = [
    "balance",
    "daily_spend",
    "monthly_fees",
    "usage_average",
    "days_left",
    "computed_at",
]


def forecasts_save(forecasts: dict[int, Forecast], now: dt.datetime) -> None:
    """One upsert for any number of clients' forecasts (by client id)."""
    ClientForecast.objects.bulk_create(
        [
            ClientForecast(
                client_id=pk,
                balance=f.balance,
                daily_spend=f.daily_spend,
                monthly_fees=f.monthly_fees,
                usage_average=f.usage_average,
                days_left=f.days_left,
                computed_at=now,
            )
            for pk, f in forecasts.items()
        ],
        update_conflicts=True,
        unique_fields=["client"],
        update_fields=STORED_FIELDS,
    )

"""Call details for the generated clients: the three full months before this one and this
month so far, about 115 a month for an active client on average and thousands a month for
the bench client (50,000 in make bench), from the client's own numbers, mostly in working
hours, priced by its tariffs' per-minute prices.

With ``--clients 100000`` that is over 30 million rows, written with COPY like the rest.
A generator of its own per client keeps every other table the same as without calls.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random
from decimal import Decimal

from kabinet.accounts.models import ClientStatus
from kabinet.calls import partitions
from kabinet.calls.models import Call

from .common import _Base, _Sub

MONTHS = 4  # three full months and the current one so far
MEAN_PER_MONTH = 115
BENCH_PER_MONTH = 4000  # the default; make bench asks for 50,000 (issue #15's big client)
# Cumulative weights of the hours of a working day: a morning and an afternoon peak.
_HOURS = [0, 0, 0, 0, 0, 0, 1, 2, 6, 12, 14, 13, 9, 10, 13, 12, 10, 6, 3, 2, 1, 1, 0, 0]
HOUR_CUMULATIVE = list(itertools.accumulate(_HOURS))
DEFAULT_PRICES = {
    "local": Decimal("1.50"),
    "long_distance": Decimal("3.50"),
    "international": Decimal("19.90"),
}
LONGEST_MINUTES = {"local": 6, "long_distance": 12, "international": 20}
CODES = ("495", "499", "343", "383", "843", "861", "921", "916")
COUNTRIES = ("49", "44", "33", "86", "375", "77", "90", "971")


def call_columns() -> list[str]:
    return [
        "client_id",
        "call_id",
        "started_at",
        "direction",
        "number",
        "peer",
        "zone",
        "duration_s",
        "amount",
    ]


def months_of_calls(now: dt.datetime) -> list[partitions.Month]:
    this = partitions.month_of(now)
    return [partitions.add_months(this, -k) for k in range(MONTHS - 1, -1, -1)]


class CallsPart(_Base):
    def _calls(
        self,
        contract: str,
        client_id: int,
        status: str,
        subs: list[_Sub],
        bench_client: bool,
    ) -> None:
        if status != ClientStatus.ACTIVE:
            return
        rng = random.Random(f"{self.seed}:{contract}:calls")
        numbers = sorted(
            {
                "".join(ch for ch in str(s.parameters.get("number") or "") if ch.isdigit())
                for s in subs
            }
            - {""}
        ) or [f"7812{int(contract) % 10_000_000:07d}"]
        prices = dict(DEFAULT_PRICES)
        today = self.now.date()
        for sub in subs:
            for zone, price in sub.tariff.prices_on(today).items():
                name = zone.removeprefix("per_minute_")
                if name in prices and price:
                    prices[name] = price
        # Most clients call little, a few a lot (a call centre): a skewed volume per client.
        volume = (
            self.bench_calls_per_month if bench_client else int(rng.expovariate(1 / MEAN_PER_MONTH))
        )
        w = self.w
        for month in months_of_calls(self.now):
            start = partitions.month_start(month)
            end = min(partitions.month_start(partitions.add_months(month, 1)), self.now)
            span = (end - start).total_seconds()
            if span <= 0:
                continue
            share = (
                span
                / (partitions.month_start(partitions.add_months(month, 1)) - start).total_seconds()
            )
            count = int(volume * share)
            days = max(int(span // 86400), 1)
            for index in range(count):
                day = rng.randrange(days)
                hour = bisect.bisect_right(HOUR_CUMULATIVE, rng.random() * HOUR_CUMULATIVE[-1])
                moment = start + dt.timedelta(
                    days=day, hours=min(hour, 23), seconds=rng.randrange(3600)
                )
                if moment >= end:
                    moment = max(start, end - dt.timedelta(seconds=1 + index % 3600))
                roll = rng.random()
                if roll < 0.38:
                    zone, direction = "incoming", "in"
                    peer = "" if roll < 0.02 else f"7812{rng.randrange(10_000_000):07d}"
                    seconds = rng.randrange(540)
                    amount = Decimal("0.00")
                else:
                    direction = "out"
                    if roll < 0.85:
                        zone, peer = "local", f"7812{rng.randrange(10_000_000):07d}"
                    elif roll < 0.97:
                        zone = "long_distance"
                        peer = f"7{rng.choice(CODES)}{rng.randrange(10_000_000):07d}"
                    else:
                        zone = "international"
                        country = rng.choice(COUNTRIES)
                        peer = (
                            country
                            + f"{rng.randrange(10 ** (11 - len(country))):0{11 - len(country)}d}"
                        )
                    minutes = 1 + int(rng.expovariate(3 / LONGEST_MINUTES[zone]))
                    seconds = (minutes - 1) * 60 + 1 + rng.randrange(60)
                    amount = prices[zone] * minutes
                w.add(
                    Call,
                    (
                        client_id,
                        f"{contract}-{month[0]}{month[1]:02d}-{index}",
                        moment,
                        direction,
                        numbers[index % len(numbers)],
                        peer,
                        zone,
                        seconds,
                        amount,
                    ),
                )

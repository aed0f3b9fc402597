"""The billing exchange's past: packages each way, and billing's snapshots, charges, usage
and documents."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from decimal import Decimal

from django.db.models import F, Max
from django.utils import timezone

from kabinet.accounts.models import ClientStatus
from kabinet.exchange.models import (
    BalanceSnapshot,
    BillingDocument,
    Charge,
    Direction,
    ExchangePackage,
    PackageStatus,
    UsageSummary,
)
from kabinet.subscriptions.models import SubscriptionStatus

from .common import (
    BENCH_PDF,
    BILLED_MONTHS,
    CENT,
    EXCHANGE_DAYS,
    LAST_EXPORT_AGO,
    ZONE_NAMES,
    ZONES,
    D,
    _Base,
    _BillingPackage,
    _Schedule,
    _Sub,
    _uuid,
)


def _months_before(day: dt.date, count: int) -> list[tuple[str, dt.date, dt.date]]:
    """The ``count`` full months before ``day``'s month: (period, first day, next first day)."""
    months = []
    year, month = day.year, day.month
    for _ in range(count):
        end = dt.date(year, month, 1)
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        months.append((f"{year:04d}-{month:02d}", dt.date(year, month, 1), end))
    return list(reversed(months))


class ExchangePart(_Base):
    def _billing(
        self,
        rng: random.Random,
        contract: str,
        client_id: int,
        created: dt.datetime,
        status: str,
        subs: list[_Sub],
        moves: list[tuple[dt.datetime, Decimal]],
        bench_client: bool,
    ) -> None:
        schedule = self.schedule
        if not schedule.billing:
            return
        posted: list[tuple[_BillingPackage, Decimal]] = []
        estimate = (
            sum(
                (
                    s.tariff.prices_on(self.today)["monthly_fee"]
                    for s in subs
                    if s.status == "active"
                ),
                D("0"),
            )
            + 150
        )
        first_period = schedule.periods[0][1] if schedule.periods else self.today
        months_before = max(0, (first_period - timezone.localdate(created)).days // 30)
        prior = estimate * months_before
        for period, first_day, package in schedule.periods:
            start = timezone.make_aware(dt.datetime.combine(first_day, dt.time.min))
            if status != ClientStatus.ACTIVE or created >= start:
                continue
            billed = [
                s for s in subs if s.status == SubscriptionStatus.ACTIVE and s.created_at < start
            ]
            if not billed:
                continue
            lines: list[tuple[str, Decimal]] = []
            for sub in billed:
                fee = sub.tariff.prices_on(first_day)["monthly_fee"]
                lines.append((f"Абонентская плата «{sub.tariff.name}» за {period}", fee))
            prices = billed[0].tariff.prices_on(first_day)
            for zone in ZONES:
                if zone == "local":
                    calls, longest = rng.randint(10, 120), 6
                elif zone == "long_distance":
                    calls, longest = rng.randint(0, 25), 12
                else:
                    calls, longest = (0 if rng.random() < 0.6 else rng.randint(1, 6)), 20
                minutes = sum(rng.randint(1, longest) for _ in range(calls))
                amount = (prices[f"per_minute_{zone}"] * minutes).quantize(CENT)
                self.w.add(
                    UsageSummary, (client_id, period, zone, calls, minutes, amount, package.id)
                )
                self._imported(rng, package)
                if amount > 0:
                    lines.append(
                        (f"Звонки ({ZONE_NAMES[zone]}), {minutes} мин, за {period}", amount)
                    )
            for description, amount in lines:
                self.w.add(
                    Charge, (client_id, str(_uuid(rng)), amount, period, description, package.id)
                )
                self._imported(rng, package)
            total = sum((a for _d, a in lines), D("0.00"))
            doc_date = first_day.replace(day=28) + dt.timedelta(days=4)
            doc_date = doc_date - dt.timedelta(days=doc_date.day)  # the period's last day
            for kind, prefix in (("invoice", "СЧ"), ("act", "АКТ")):
                pdf = BENCH_PDF if bench_client else b""
                number = f"{prefix}-{doc_date.year}-{contract}{first_day.month:02d}"
                self.w.add(
                    BillingDocument,
                    (
                        client_id,
                        str(_uuid(rng)),
                        kind,
                        number,
                        doc_date,
                        total,
                        pdf,
                        bool(pdf),
                        package.id,
                    ),
                )
                self._imported(rng, package)
            posted.append((package, total))
        carriers = {p.sequence: p for p, _ in posted}
        latest = schedule.billing[-1]
        carriers.setdefault(latest.sequence, latest)
        previous: dt.datetime | None = None
        for sequence in sorted(carriers):
            package = carriers[sequence]
            as_of = package.acked_at
            if as_of is None or as_of < created:
                continue
            if previous is not None and as_of <= previous:
                as_of = previous + dt.timedelta(seconds=1)
            previous = as_of
            paid = sum((a for at, a in moves if at <= as_of), D("0.00"))
            charged = prior + sum((t for p, t in posted if p.sequence <= sequence), D("0.00"))
            self.w.add(
                BalanceSnapshot, (client_id, (paid - charged).quantize(CENT), as_of, package.id)
            )
            self._imported(rng, package)


def _package_sha(direction: str, sequence: int) -> str:
    return hashlib.sha256(f"generated {direction} {sequence}".encode()).hexdigest()


def _ensure_schedule(now: dt.datetime, fresh: bool) -> _Schedule:
    """Fresh: a first full export 75 days ago, then one package a day each way, the last
    website package not yet confirmed. Appending: the packages already there."""
    if fresh:
        site_base = (
            ExchangePackage.objects.filter(direction=Direction.SITE_TO_BILLING).aggregate(
                m=Max("sequence")
            )["m"]
            or 0
        )
        billing_base = (
            ExchangePackage.objects.filter(direction=Direction.BILLING_TO_SITE)
            .exclude(status=PackageStatus.REJECTED)
            .aggregate(m=Max("sequence"))["m"]
            or 0
        )
        last = now - LAST_EXPORT_AGO
        site_times = [last - dt.timedelta(days=EXCHANGE_DAYS - k) for k in range(EXCHANGE_DAYS + 1)]
        site_sequences = [site_base + 1 + k for k in range(EXCHANGE_DAYS + 1)]
        billing_sequences = [billing_base + 1 + k for k in range(EXCHANGE_DAYS)]
        site = [
            ExchangePackage(
                direction=Direction.SITE_TO_BILLING,
                sequence=sequence,
                status=PackageStatus.CONFIRMED if k < EXCHANGE_DAYS else PackageStatus.EXPORTED,
                file_name=f"site-to-billing-{sequence:06d}.zip",
                sha256=_package_sha("site-to-billing", sequence),
                ack_through=billing_sequences[k - 1] if k else billing_base,
                manifest_created_at=site_times[k],
                actor_repr="system",
                created_at=site_times[k],
                confirmed_at=site_times[k] + dt.timedelta(hours=1) if k < EXCHANGE_DAYS else None,
            )
            for k, sequence in enumerate(site_sequences)
        ]
        billing = [
            ExchangePackage(
                direction=Direction.BILLING_TO_SITE,
                sequence=sequence,
                status=PackageStatus.IMPORTED,
                file_name=f"billing-to-site-{sequence:06d}.zip",
                sha256=_package_sha("billing-to-site", sequence),
                ack_through=site_sequences[k],
                manifest_created_at=site_times[k] + dt.timedelta(minutes=50),
                actor_repr="system",
                created_at=site_times[k] + dt.timedelta(hours=1),
            )
            for k, sequence in enumerate(billing_sequences)
        ]
        site = ExchangePackage.objects.bulk_create(site)
        billing = ExchangePackage.objects.bulk_create(billing)
        site_packages = site
        billing_models = billing
    else:
        site_packages = list(
            ExchangePackage.objects.filter(direction=Direction.SITE_TO_BILLING)
            .exclude(status=PackageStatus.REJECTED)
            .order_by("created_at", "sequence")
        )
        billing_models = list(
            ExchangePackage.objects.filter(
                direction=Direction.BILLING_TO_SITE, status=PackageStatus.IMPORTED
            ).order_by("created_at", "sequence")
        )
    times = {p.sequence: p.created_at for p in site_packages}
    billing_packages = [
        _BillingPackage(p.pk, p.sequence or 0, p.created_at, times.get(p.ack_through))
        for p in billing_models
    ]
    periods: list[tuple[str, dt.date, _BillingPackage]] = []
    if billing_packages:
        # The last full months whose billing run has come (a run shortly after each month).
        last_day = timezone.localdate(billing_packages[-1].created_at)
        for period, first_day, end in _months_before(last_day, BILLED_MONTHS + 1):
            end_at = timezone.make_aware(dt.datetime.combine(end, dt.time(3)))
            carrier = next((p for p in billing_packages if p.created_at >= end_at), None)
            if carrier is not None:
                periods.append((period, first_day, carrier))
        periods = periods[-BILLED_MONTHS:]
    return _Schedule(
        site_times=[p.created_at for p in site_packages],
        site_sequences=[p.sequence or 0 for p in site_packages],
        billing=billing_packages,
        periods=periods,
        fresh=fresh,
    )


def _finish_packages(schedule: _Schedule) -> None:
    """Record counts (and a plausible size) of the packages the records went into."""
    for sequence, count in schedule.site_records.items():
        ExchangePackage.objects.filter(
            direction=Direction.SITE_TO_BILLING, sequence=sequence
        ).exclude(status=PackageStatus.REJECTED).update(
            record_count=F("record_count") + count,
            applied_count=F("applied_count") + count,
            size=F("size") + count * 190,
        )
    for package in schedule.billing:
        if package.records:
            ExchangePackage.objects.filter(pk=package.id).update(
                record_count=F("record_count") + package.records,
                applied_count=F("applied_count") + package.records,
                size=F("size") + package.records * 160,
            )
            if schedule.fresh:
                ExchangePackage.objects.filter(pk=package.id).update(
                    report=f"applied {package.records} records, skipped 0 seen before\n"
                    f"billing confirmed website packages through {package.sequence} "
                    "(1 newly confirmed)"
                )

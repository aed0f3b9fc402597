"""What every part of the generator shares: the bench constants, the shapes of the catalog
and of the exchange schedule, and the state of one run (``_Base``)."""

from __future__ import annotations

import bisect
import datetime as dt
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from kabinet.accounts.models import User
from kabinet.catalog.models import (
    ParameterSpec,
)
from kabinet.exchange.models import (
    ImportedRecord,
    OutboxRecord,
)
from kabinet.payments.models import Channel, Payment

from .writer import RowWriter

BENCH_PASSWORD = "bench12345"
BENCH_MANAGER_EMAIL = "bench-manager@kabinet.test"
BENCH_CLIENT_EMAIL = "bench-client@kabinet.test"
FIRST_CONTRACT = 200000
BENCH_TARIFF_CODE = "local-office"
BENCH_TARIFF_SUBSCRIPTIONS = 20000
USER_DOMAIN = "dataset.kabinet.test"
CLIENTS_PER_MANAGER = 2000
EXCHANGE_DAYS = 75
# Website records newer than this wait for the next export.
LAST_EXPORT_AGO = dt.timedelta(hours=2)
BILLED_MONTHS = 2
MAX_PAYMENTS_PER_CLIENT = 9999
CENT = Decimal("0.01")
ZONES = ("local", "long_distance", "international")
ZONE_NAMES = {
    "local": "местные",
    "long_distance": "междугородние",
    "international": "международные",
}

# A one-page PDF for the bench client's documents (everyone else's have none).
BENCH_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)

D = Decimal


class DatasetExists(Exception):
    """The database already holds a generated dataset (``--append`` adds to it)."""


@dataclass
class DatasetReport:
    clients: int
    first_contract: str
    last_contract: str
    counts: dict[str, int]
    seconds: float
    write_seconds: dict[str, float]
    commit_seconds: float
    method: str
    bench_manager: str
    bench_client: str
    bench_contract: str
    terminal_contract: str
    bench_tariff_id: int
    bench_tariff_code: str
    bench_tariff_subscriptions: int
    pending_outbox: int
    password: str = BENCH_PASSWORD


@dataclass
class _Tariff:
    id: int
    code: str
    name: str
    service_code: str
    visibility: str
    weight: int
    versions: list[tuple[dt.date, dict[str, Decimal]]]  # oldest first

    def prices_on(self, day: dt.date) -> dict[str, Decimal]:
        current = self.versions[0][1]
        for effective_from, prices in self.versions:
            if effective_from <= day:
                current = prices
        return current


@dataclass
class _Service:
    id: int
    code: str
    weight: int
    specs: list[ParameterSpec]
    tariffs: list[_Tariff]


@dataclass
class _Sub:
    id: int
    service: _Service
    tariff: _Tariff
    status: str
    parameters: dict[str, Any]
    created_at: dt.datetime
    closed_at: dt.datetime | None


@dataclass
class _BillingPackage:
    id: int
    sequence: int
    created_at: dt.datetime
    # created_at of the website package it acknowledges: the as_of of its snapshots.
    acked_at: dt.datetime | None
    records: int = 0


@dataclass
class _Schedule:
    site_times: list[dt.datetime]
    site_sequences: list[int]
    billing: list[_BillingPackage]
    periods: list[tuple[str, dt.date, _BillingPackage]]  # (period, first day, carrier)
    site_records: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    fresh: bool = True

    def site_sequence(self, at: dt.datetime) -> int | None:
        index = bisect.bisect_left(self.site_times, at)
        return self.site_sequences[index] if index < len(self.site_sequences) else None


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _wire(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Base:
    def __init__(
        self,
        *,
        writer: RowWriter,
        now: dt.datetime,
        seed: int,
        payments_per_client: int,
        password: str,
        managers: list[User],
        services: list[_Service],
        bench_tariff: _Tariff,
        bench_slots: int,
        schedule: _Schedule,
        make_bench_client: bool,
        bench_calls_per_month: int,
    ) -> None:
        self.w = writer
        self.now = now
        self.today = timezone.localdate(now)
        self.seed = seed
        self.ppc = payments_per_client
        self.password = password
        self.managers = managers
        self.services = services
        self.by_code = {s.code: s for s in services}
        self.bench_tariff = bench_tariff
        self.bench_slots = bench_slots
        self.bench_assigned = 0
        self.schedule = schedule
        self.make_bench_client = make_bench_client
        self.bench_calls_per_month = bench_calls_per_month
        self.bench_contract: str | None = None
        self.moneyback = dt.timedelta(hours=settings.KABINET_MONEYBACK_HOURS)
        self.due_hours = settings.KABINET_REQUEST_DUE_HOURS
        self.payment_ct = ContentType.objects.get_for_model(Payment).pk
        self.offers: set[tuple[int, int]] = set()
        self.pending_outbox = 0
        with translation.override(settings.LANGUAGE_CODE):
            self.channel_label = {
                Channel.CARD: str(Channel.CARD.label),
                Channel.TERMINAL: str(Channel.TERMINAL.label),
            }
        self.notice: dict[str, tuple[str, str, str]] = {}
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                self.notice[language] = (
                    gettext("Payment of %(amount)s reached your balance"),
                    gettext("The payment under contract %(contract)s is complete."),
                    gettext("Paid at a payment terminal under contract %(contract)s."),
                )
        sample = uuid.UUID(int=0)
        self.receipt_url = reverse("cabinet:payment_receipt", args=[sample]).replace(
            str(sample), "{}"
        )

    # --- helpers ---------------------------------------------------------------------------

    def _between(self, rng: random.Random, start: dt.datetime, end: dt.datetime) -> dt.datetime:
        # Upper bounds are "by now" (or before a later event): an empty span gives the bound.
        span = int((end - start).total_seconds())
        if span <= 0:
            return end
        return start + dt.timedelta(seconds=rng.randint(0, span))

    def _outbox(self, rng: random.Random, type: str, at: dt.datetime, data: dict[str, Any]) -> int:
        pk = self.w.next_id(OutboxRecord)
        sequence = self.schedule.site_sequence(at)
        if sequence is None:
            self.pending_outbox += 1
        else:
            self.schedule.site_records[sequence] += 1
        contract = str(data.get("contract", ""))[:20]
        self.w.add(OutboxRecord, (pk, _uuid(rng), type, at, data, contract, sequence))
        return pk

    def _imported(self, rng: random.Random, package: _BillingPackage) -> None:
        package.records += 1
        self.w.add(ImportedRecord, (_uuid(rng), package.id))

    # --- one client ------------------------------------------------------------------------

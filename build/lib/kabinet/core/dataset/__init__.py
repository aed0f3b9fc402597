"""A large, realistic dataset for the benchmarks (``manage.py generate_dataset``).

Rows are written in bulk (COPY on PostgreSQL), a chunk of clients at a time, in one
transaction: the dataset is there entirely or not at all. Nothing goes through the
per-row services, so the invariants those services keep are kept here by construction:

- a captured card payment and an accepted terminal payment have their ledger credit and a
  ``payment.captured`` billing record (``capture_record``); a refund has its ledger debit
  and a ``payment.refunded`` record; a cancelled terminal payment has its credit and its
  cancellation, and its billing record was withdrawn before export;
- the billing exchange has a past: a first full load and then one package a day each
  way, acknowledged; only the records of the last two hours wait for the next export,
  and billing's packages carried the balance snapshots, charges, usage and documents of
  the last two months;
- subscriptions' parameters are valid for their service's schema, tariffs have dated
  price versions, INNs have valid check digits, contract numbers start at 200000.

Every value comes from a random generator seeded with ``--seed`` and the contract number,
so the same seed gives the same data whatever the chunk size.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import BigIntegerField, F, Max
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from kabinet.accounts.models import Client, ClientStatus, Membership, MembershipRole, Role, User
from kabinet.accounts.services import user_sync_role_groups
from kabinet.audit.models import AuditEntry
from kabinet.catalog import demo as catalog_demo
from kabinet.catalog.models import (
    PRICE_FIELDS,
    ParameterSpec,
    ParamType,
    Service,
    Tariff,
    TariffOffer,
    TariffVersion,
    Visibility,
)
from kabinet.exchange.models import (
    BalanceSnapshot,
    BillingDocument,
    Charge,
    Direction,
    ExchangePackage,
    ImportedRecord,
    OutboxRecord,
    PackageStatus,
    UsageSummary,
)
from kabinet.lib.money import format_money
from kabinet.messaging.models import Message, Thread, ThreadRead
from kabinet.notifications.models import Category, EmailStatus, Notification
from kabinet.payments.models import Channel, LedgerEntry, LedgerKind, Payment, PaymentStatus
from kabinet.servicedesk.models import (
    EventAction,
    RequestEvent,
    RequestKind,
    RequestStatus,
    ServiceRequest,
)
from kabinet.subscriptions.models import Subscription, SubscriptionStatus

from . import names
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


def _prices(*values: str) -> dict[str, Decimal]:
    return {name: D(v) for name, v in zip(PRICE_FIELDS, values, strict=True)}


# Tariffs a large operator has besides the demo's: (service, code, name, name_en,
# visibility, [(days before today the version takes effect, prices)]). A negative number
# of days is a price change announced for the future.
EXTRA_TARIFFS: list[tuple[str, str, str, str, str, list[tuple[int, dict[str, Decimal]]]]] = [
    (
        "local-number",
        BENCH_TARIFF_CODE,
        "Офис",
        "Office",
        Visibility.PUBLIC,
        [
            (1100, _prices("590.00", "500.00", "0.00", "2.40", "18.00")),
            (560, _prices("650.00", "500.00", "0.00", "2.30", "17.50")),
            (200, _prices("690.00", "0.00", "0.00", "2.20", "17.00")),
        ],
    ),
    (
        "local-number",
        "local-pro",
        "Профи",
        "Pro",
        Visibility.PUBLIC,
        [
            (900, _prices("1490.00", "0.00", "0.00", "1.50", "13.00")),
            (300, _prices("1590.00", "0.00", "0.00", "1.50", "12.00")),
            (-20, _prices("1690.00", "0.00", "0.00", "1.40", "12.00")),
        ],
    ),
    (
        "long-distance",
        "ld-russia",
        "Вся Россия",
        "All Russia",
        Visibility.PUBLIC,
        [
            (800, _prices("200.00", "0.00", "0.00", "1.90", "23.00")),
            (250, _prices("250.00", "0.00", "0.00", "1.70", "23.00")),
        ],
    ),
    (
        "vpbx",
        "vpbx-100",
        "АТС-100",
        "PBX-100",
        Visibility.PUBLIC,
        [(700, _prices("8900.00", "0.00", "0.00", "0.00", "0.00"))],
    ),
    (
        "vpbx",
        "vpbx-2020",
        "АТС-2020",
        "PBX 2020",
        Visibility.ARCHIVED,
        [
            (1800, _prices("990.00", "3000.00", "0.00", "0.00", "0.00")),
            (1200, _prices("1190.00", "3000.00", "0.00", "0.00", "0.00")),
        ],
    ),
    (
        "forwarding",
        "fwd-2018",
        "Переадресация-2018",
        "Forwarding 2018",
        Visibility.ARCHIVED,
        [(2000, _prices("90.00", "0.00", "0.00", "0.00", "0.00"))],
    ),
]
# How often each tariff is chosen for a new subscription of its service (unknown: 5).
TARIFF_WEIGHTS = {
    BENCH_TARIFF_CODE: 0,  # only the subscriptions chosen for the bench
    "local-start": 30,
    "local-business": 35,
    "local-pro": 15,
    "local-2019": 15,
    "local-partner": 2,
    "ld-base": 50,
    "ld-world": 30,
    "ld-russia": 20,
    "fwd-standard": 80,
    "fwd-2018": 20,
    "vm-basic": 1,
    "vpbx-10": 50,
    "vpbx-50": 25,
    "vpbx-100": 8,
    "vpbx-2020": 15,
}
BASE_SERVICE = "local-number"
SERVICE_WEIGHTS = {"long-distance": 8, "forwarding": 5, "voicemail": 3, "vpbx": 4}

THREAD_SUBJECTS = [
    "Закрывающие документы за квартал",
    "Акт сверки взаиморасчётов",
    "Переезд офиса",
    "Не проходят входящие звонки",
    "Счёт на оплату",
    "Смена реквизитов компании",
    "Подключение дополнительного номера",
    "Качество связи по утрам",
    "Возврат ошибочного платежа",
    "Запись разговоров в АТС",
    "Доверенность на подписание актов",
    "Переадресация на мобильный",
    "Вопрос по тарифу",
    "Международные звонки не проходят",
]
CLIENT_LINES = [
    "Добрый день! Подскажите, пожалуйста, по этому вопросу.",
    "Здравствуйте! Пришлите, пожалуйста, документы на почту бухгалтерии.",
    "Спасибо, получили.",
    "Проблема повторилась сегодня утром, около 10:00.",
    "Можно ли сделать это до конца месяца?",
    "Уточните, пожалуйста, сроки.",
    "Реквизиты во вложении к договору не изменились.",
    "Хорошо, ждём звонка.",
]
MANAGER_LINES = [
    "Добрый день! Проверили, всё в порядке. Если повторится — напишите.",
    "Здравствуйте! Документы отправили на почту, оригиналы — почтой России.",
    "Передали вопрос техническим специалистам, ответим сегодня.",
    "Сделаем в течение двух рабочих дней.",
    "Подготовили акт сверки, он во вложении.",
    "Позвоню вам завтра, чтобы обсудить варианты.",
    "Исправили, проверьте, пожалуйста.",
]
OTHER_SUBJECTS = [
    ("Акт сверки", "Пришлите, пожалуйста, акт сверки взаиморасчётов за прошлый квартал."),
    ("Смена контактного лица", "Контактное лицо по договору теперь главный бухгалтер."),
    ("Копия договора", "Нужна заверенная копия договора для тендера."),
    ("Детализация звонков", "Пришлите детализацию звонков за прошлый месяц."),
    ("Перенос номера", "Хотим перенести номер в новый офис в том же районе."),
]
DONE_COMMENTS = [
    "Готово. Изменения вступили в силу.",
    "Сделано, абонентская плата изменится со следующего месяца.",
    "Выполнено.",
]
REJECT_COMMENTS = [
    "По этому договору есть задолженность, сначала пополните баланс.",
    "Такое изменение на текущем тарифе недоступно, позвоню обсудить варианты.",
    "Не хватает документов, пришлите, пожалуйста, доверенность.",
]
REFUND_REASONS = [
    "Ошибочный платёж, клиент заплатил дважды",
    "Переплата по договору, возврат по письму клиента",
    "Оплата не по тому договору",
]


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


def _existing_dataset() -> tuple[bool, int | None]:
    """(bench manager exists, highest contract number at or above 200000)."""
    exists = User.objects.filter(email=BENCH_MANAGER_EMAIL).exists()
    top = (
        Client.objects.filter(contract_number__regex=r"^[0-9]{6,12}$")
        .annotate(n=Cast("contract_number", BigIntegerField()))
        .filter(n__gte=FIRST_CONTRACT)
        .aggregate(m=Max("n"))["m"]
    )
    return exists, top


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


class _Generator:
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

    def client(self, contract_number: int) -> None:
        g = contract_number - FIRST_CONTRACT
        contract = str(contract_number)
        rng = random.Random(f"{self.seed}:{contract}")
        bench_client = self.make_bench_client and self.bench_contract is None
        if bench_client:
            self.bench_contract = contract
        on_bench_tariff = g % 5 == 0 and self.bench_assigned < self.bench_slots
        now = self.now
        created = now - dt.timedelta(days=800 if bench_client else rng.uniform(30, 2200))
        created = created.replace(microsecond=0)
        status = ClientStatus.ACTIVE
        status_changed: dt.datetime | None = None
        forced_active = bench_client or on_bench_tariff or g == 1
        roll = rng.random()
        if not forced_active and roll < 0.04 and created < now - dt.timedelta(days=230):
            status = ClientStatus.SUSPENDED
        elif not forced_active and roll < 0.06 and created < now - dt.timedelta(days=400):
            status = ClientStatus.CLOSED
        if status != ClientStatus.ACTIVE:
            status_changed = self._between(rng, created + dt.timedelta(days=200), now)
        name, inn, kpp, _individual = names.company(rng, contract_number)
        manager = self.managers[g % len(self.managers)]
        client_id = self.w.next_id(Client)
        legal = names.address(rng)
        contact = names.full_name(rng)
        self.w.add(
            Client,
            (
                client_id,
                contract,
                name,
                name.casefold(),
                inn,
                kpp,
                legal,
                legal if rng.random() < 0.7 else names.address(rng),
                contact,
                names.city_phone(rng),
                f"info@c{contract}.example",
                status,
                manager.pk,
                "",
                created,
                status_changed or created,
                status_changed,
            ),
        )
        upserted = {"contract": contract, "name": name, "inn": inn, "kpp": kpp}
        self._outbox(rng, "client.upserted", created, {**upserted, "status": "active"})
        if status_changed:
            self._outbox(rng, "client.upserted", status_changed, {**upserted, "status": status})

        users = self._users(rng, g, contract, client_id, created, bench_client)
        subs = self._subscriptions(
            rng, g, contract, client_id, created, status, status_changed, on_bench_tariff
        )
        money = self._payments(rng, contract, client_id, created, status_changed, users)
        n_requests = 3 if bench_client else g % 4
        if status == ClientStatus.CLOSED:
            n_requests = min(n_requests, 1)
        for _ in range(n_requests):
            self._request(rng, client_id, created, status_changed, users, manager, subs)
        for _ in range(2 if bench_client else g % 3):
            self._thread(rng, client_id, created, users, manager)
        self._billing(rng, contract, client_id, created, status, subs, money, bench_client)

    def _users(
        self,
        rng: random.Random,
        g: int,
        contract: str,
        client_id: int,
        created: dt.datetime,
        bench_client: bool,
    ) -> list[tuple[int, str, str]]:
        """Writes the client's users; returns (id, e-mail, language) with the admin first."""
        count = 2 if bench_client else 1 + g % 3
        users = []
        for k in range(count):
            user_id = self.w.next_id(User)
            email = (
                BENCH_CLIENT_EMAIL if bench_client and k == 0 else f"{contract}.{k}@{USER_DOMAIN}"
            )
            first, _patronymic, surname, _female = names.person(rng)
            language = "en" if rng.random() < 0.1 and not bench_client else "ru"
            joined = created + dt.timedelta(
                days=rng.randint(0, 60) if k == 0 else rng.randint(30, 700)
            )
            joined = min(joined, self.now - dt.timedelta(days=1))
            active = k == 0 or rng.random() > 0.05
            last_login = self._between(rng, joined, self.now) if rng.random() < 0.8 else None
            self.w.add(
                User,
                (
                    user_id,
                    self.password,
                    last_login,
                    False,
                    email,
                    first,
                    surname,
                    False,
                    active,
                    joined,
                    Role.CLIENT,
                    names.city_phone(rng) if rng.random() < 0.5 else "",
                    language,
                ),
            )
            role = MembershipRole.ADMIN if k == 0 else MembershipRole.MEMBER
            position = ["Генеральный директор", "Главный бухгалтер", "Офис-менеджер"][k % 3]
            self.w.add(Membership, (user_id, client_id, role, position, joined))
            if active:
                users.append((user_id, email, language))
        return users

    # --- subscriptions ---------------------------------------------------------------------

    def _pick_tariff(
        self, rng: random.Random, service: _Service, client_id: int, since: dt.datetime
    ) -> _Tariff:
        recent = since > self.now - dt.timedelta(days=700)
        choices = (
            [
                t
                for t in service.tariffs
                if t.weight > 0 and not (recent and t.visibility == Visibility.ARCHIVED)
            ]
            or [t for t in service.tariffs if t.code != BENCH_TARIFF_CODE]
            or service.tariffs
        )
        tariff = rng.choices(choices, [max(t.weight, 1) for t in choices])[0]
        if tariff.visibility == Visibility.EXCLUSIVE and (tariff.id, client_id) not in self.offers:
            self.offers.add((tariff.id, client_id))
            self.w.add(TariffOffer, (tariff.id, client_id, since - dt.timedelta(days=3)))
        return tariff

    def _parameters(self, rng: random.Random, service: _Service, contract: str) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for spec in service.specs:
            values[spec.code] = self._value(rng, service.code, spec, contract)
        if service.code == "forwarding" and "enabled" in values and "target" in values:
            values["target"] = (
                f"+79{rng.randint(100000000, 999999999)}" if values["enabled"] else None
            )
        return values

    def _value(self, rng: random.Random, service: str, spec: ParameterSpec, contract: str) -> Any:
        if spec.type == ParamType.BOOL:
            return rng.random() < (0.7 if spec.default else 0.3)
        if spec.type == ParamType.INT:
            low = spec.min_value if spec.min_value is not None else 0
            high = spec.max_value if spec.max_value is not None else low + 100
            common = [v for v in (1, 2, 2, 3, 4, 5, 8, 10, 15, 20, 30) if low <= v <= high]
            if spec.code == "monthly_limit":
                common = [v for v in (1000, 3000, 5000, 5000, 10000, 30000) if low <= v <= high]
            return rng.choice(common) if common and rng.random() < 0.9 else rng.randint(low, high)
        if spec.type == ParamType.CHOICE:
            return rng.choice([c["value"] for c in spec.choices])
        if spec.type == ParamType.PHONE:
            if not spec.required and spec.code != "number" and rng.random() < 0.3:
                return None
            return f"+7812{rng.randint(3000000, 7999999)}"
        # Text: the known patterns of the demo catalog, the default otherwise.
        if spec.code == "email":
            return f"voicemail@c{contract}.example"
        if spec.code == "prefix":
            return str(rng.randint(1, 9))
        return spec.default

    def _subscriptions(
        self,
        rng: random.Random,
        g: int,
        contract: str,
        client_id: int,
        created: dt.datetime,
        client_status: str,
        status_changed: dt.datetime | None,
        on_bench_tariff: bool,
    ) -> list[_Sub]:
        count = 3 if on_bench_tariff and g == 0 else 2 + g % 3
        base = self.by_code.get(BASE_SERVICE) or self.services[0]
        others = [s for s in self.services if s is not base]
        chosen = [base]
        pool = list(others)
        while len(chosen) < count and pool:
            pick = rng.choices(pool, [s.weight for s in pool])[0]
            pool.remove(pick)
            chosen.append(pick)
        subs = []
        for position, service in enumerate(chosen):
            since = self._between(
                rng, created + dt.timedelta(days=position * 7), created + dt.timedelta(days=400)
            )
            since = min(since, self.now - dt.timedelta(days=2))
            bench = on_bench_tariff and position == 0
            if bench:
                tariff = self.bench_tariff
                self.bench_assigned += 1
            else:
                tariff = self._pick_tariff(rng, service, client_id, since)
            status, closed_at = SubscriptionStatus.ACTIVE, None
            if client_status == ClientStatus.CLOSED:
                status, closed_at = SubscriptionStatus.CLOSED, status_changed
            elif client_status == ClientStatus.SUSPENDED:
                status = SubscriptionStatus.SUSPENDED
            elif not bench and position > 0:
                roll = rng.random()
                if roll < 0.05 and since < self.now - dt.timedelta(days=60):
                    status = SubscriptionStatus.CLOSED
                    closed_at = self._between(rng, since + dt.timedelta(days=30), self.now)
                elif roll < 0.07:
                    status = SubscriptionStatus.SUSPENDED
            if closed_at is not None and closed_at <= since:
                closed_at = since + dt.timedelta(days=1)
            parameters = self._parameters(rng, service, contract)
            sub_id = self.w.next_id(Subscription)
            changed = max(
                closed_at or (status_changed if status != "active" else None) or since, since
            )
            self.w.add(
                Subscription,
                (
                    sub_id,
                    client_id,
                    service.id,
                    tariff.id,
                    status,
                    parameters,
                    since,
                    changed,
                    closed_at,
                ),
            )
            record = {
                "contract": contract,
                "subscription_id": str(sub_id),
                "service_code": service.code,
                "tariff_code": tariff.code,
                "status": "active",
                "parameters": parameters,
            }
            self._outbox(rng, "subscription.upserted", since, record)
            if status != SubscriptionStatus.ACTIVE:
                self._outbox(
                    rng, "subscription.upserted", max(changed, since), {**record, "status": status}
                )
            subs.append(_Sub(sub_id, service, tariff, status, parameters, since, closed_at))
        return subs

    # --- payments --------------------------------------------------------------------------

    def _payments(
        self,
        rng: random.Random,
        contract: str,
        client_id: int,
        created: dt.datetime,
        status_changed: dt.datetime | None,
        users: list[tuple[int, str, str]],
    ) -> list[tuple[dt.datetime, Decimal]]:
        """Writes the payments; returns the billing records' money moves (at, signed amount)."""
        if self.ppc == 0:
            return []
        now = self.now
        start = created + dt.timedelta(days=1)
        end = (status_changed if status_changed and status_changed < now else now) - dt.timedelta(
            minutes=5
        )
        if end <= start:
            end = start + dt.timedelta(hours=1)
        months = max(1.0, (end - start).days / 30)
        monthly = rng.choice([600, 900, 1200, 1800, 2500, 4000, 7000, 12000])
        mean = monthly * months / self.ppc
        times = sorted(self._between(rng, start, end) for _ in range(self.ppc))
        moves: list[tuple[dt.datetime, Decimal]] = []
        credited: list[tuple[uuid.UUID, Decimal, str, dt.datetime]] = []
        for j, at in enumerate(times):
            pk = _uuid(rng)
            rubles = int(min(500000, max(100, round(mean * rng.uniform(0.6, 1.4), -1))))
            amount = D(rubles).quantize(CENT)
            payer = rng.choice(users) if users and rng.random() < 0.8 else None
            email = payer[1] if payer else f"info@c{contract}.example"
            if rng.random() < 0.35:
                moves += self._terminal(rng, pk, contract, client_id, j, at, amount, email)
                if moves and moves[-1][0] == at and moves[-1][1] > 0:
                    credited.append((pk, amount, Channel.TERMINAL, at))
            else:
                created_by = payer[0] if payer and rng.random() < 0.6 else None
                card = self._card(rng, pk, contract, client_id, at, amount, email, created_by)
                moves += card
                if card:
                    credited.append((pk, amount, Channel.CARD, card[0][0]))
        self._payment_notices(rng, contract, users, credited[-2:])
        return moves

    def _terminal(
        self,
        rng: random.Random,
        pk: uuid.UUID,
        contract: str,
        client_id: int,
        j: int,
        at: dt.datetime,
        amount: Decimal,
        email: str,
    ) -> list[tuple[dt.datetime, Decimal]]:
        cancelled = rng.random() < 0.01 and at < self.now - self.moneyback
        record = None
        moves: list[tuple[dt.datetime, Decimal]] = []
        closed = None
        if cancelled:
            # The terminal network took it back inside the window, before any export: the
            # billing record was withdrawn, the ledger got the cancellation.
            closed = at + dt.timedelta(
                seconds=rng.randint(300, int(self.moneyback.total_seconds()) - 60)
            )
        else:
            record = self._outbox(
                rng,
                "payment.captured",
                at,
                {
                    "contract": contract,
                    "payment_id": str(pk),
                    "amount": format_money(amount),
                    "channel": Channel.TERMINAL,
                    "captured_at": _wire(at),
                },
            )
            moves.append((at, amount))
        self.w.add(
            Payment,
            (
                pk,
                client_id,
                Channel.TERMINAL,
                PaymentStatus.CANCELLED if cancelled else PaymentStatus.ACCEPTED,
                amount,
                amount,
                D("0.00"),
                email,
                None,
                "",
                None,
                None,
                at,
                f"9{contract}{j:04d}",
                timezone.localtime(at).strftime("%Y-%m-%dT%H:%M:%S"),
                at,
                at + self.moneyback,
                closed,
                record,
                at,
                closed or at,
            ),
        )
        note = self.channel_label[Channel.TERMINAL]
        self.w.add(LedgerEntry, (client_id, pk, LedgerKind.PAYMENT, amount, note, at))
        if closed:
            self.w.add(LedgerEntry, (client_id, pk, LedgerKind.CANCELLATION, -amount, "", closed))
        return moves

    def _card_status(self, rng: random.Random, at: dt.datetime) -> str:
        """A card payment's fate; one that cannot have reached a state by now has not."""
        now = self.now
        # Authorised within a few minutes, captured up to ten minutes after the window.
        if at > now - self.moneyback - dt.timedelta(minutes=15):
            return rng.choices(
                [PaymentStatus.AUTHORIZED, PaymentStatus.PENDING, PaymentStatus.DECLINED],
                [70, 15, 15],
            )[0]
        status = rng.choices(
            [
                PaymentStatus.CAPTURED,
                PaymentStatus.REFUNDED,
                "partial",
                PaymentStatus.DECLINED,
                PaymentStatus.VOIDED,
                PaymentStatus.EXPIRED,
                PaymentStatus.FAILED,
                PaymentStatus.PENDING,
            ],
            [880, 15, 15, 50, 15, 5, 10, 10],
        )[0]
        if status == PaymentStatus.EXPIRED and at > now - dt.timedelta(days=8):
            return PaymentStatus.VOIDED
        if status == PaymentStatus.PENDING and at > now - dt.timedelta(days=2):
            return PaymentStatus.DECLINED  # the gateway has answered by now
        if status in (PaymentStatus.REFUNDED, "partial") and at > now - dt.timedelta(hours=5):
            return PaymentStatus.CAPTURED
        return status

    def _card(
        self,
        rng: random.Random,
        pk: uuid.UUID,
        contract: str,
        client_id: int,
        at: dt.datetime,
        amount: Decimal,
        email: str,
        created_by: int | None,
    ) -> list[tuple[dt.datetime, Decimal]]:
        now = self.now
        status = self._card_status(rng, at)
        gateway_id = "" if status == PaymentStatus.FAILED else f"ds_{pk.hex}"
        authorized: dt.datetime | None = None
        capture_before: dt.datetime | None = None
        moneyback: dt.datetime | None = None
        captured: dt.datetime | None = None
        closed: dt.datetime | None = None
        captured_amount = refunded = D("0.00")
        record = None
        moves: list[tuple[dt.datetime, Decimal]] = []
        updated = at
        if status in (PaymentStatus.DECLINED, PaymentStatus.FAILED):
            closed = updated = at + dt.timedelta(seconds=rng.randint(5, 120))
        elif status != PaymentStatus.PENDING:
            held = at + dt.timedelta(seconds=rng.randint(20, 240))
            window = held + self.moneyback
            authorized, capture_before, moneyback = held, held + dt.timedelta(days=7), window
            updated = held
            if status == PaymentStatus.VOIDED:
                closed = updated = self._between(
                    rng, held + dt.timedelta(minutes=5), window - dt.timedelta(minutes=1)
                )
            elif status == PaymentStatus.EXPIRED:
                closed = updated = capture_before
            elif status != PaymentStatus.AUTHORIZED:
                taken = window + dt.timedelta(seconds=rng.randint(10, 600))
                captured, captured_amount, updated = taken, amount, taken
                record = self._outbox(
                    rng,
                    "payment.captured",
                    taken,
                    {
                        "contract": contract,
                        "payment_id": str(pk),
                        "amount": format_money(amount),
                        "channel": Channel.CARD,
                        "captured_at": _wire(taken),
                    },
                )
                moves.append((taken, amount))
                note = self.channel_label[Channel.CARD]
                self.w.add(LedgerEntry, (client_id, pk, LedgerKind.PAYMENT, amount, note, taken))
                if status in (PaymentStatus.REFUNDED, "partial"):
                    latest = min(taken + dt.timedelta(days=20), now - dt.timedelta(minutes=1))
                    refund_at = self._between(rng, taken + dt.timedelta(hours=1), latest)
                    if status == "partial":
                        share = D(rng.choice([10, 20, 25, 30, 50]))
                        refunded = (amount * share / 100).quantize(CENT)
                        status = PaymentStatus.CAPTURED
                    else:
                        refunded = amount
                        closed = refund_at
                    updated = refund_at
                    self._outbox(
                        rng,
                        "payment.refunded",
                        refund_at,
                        {
                            "contract": contract,
                            "payment_id": str(pk),
                            "amount": format_money(refunded),
                            "refunded_at": _wire(refund_at),
                        },
                    )
                    moves.append((refund_at, -refunded))
                    self.w.add(
                        LedgerEntry, (client_id, pk, LedgerKind.REFUND, -refunded, "", refund_at)
                    )
                    self._refund_audit(rng, pk, amount, refunded, status, refund_at)
        self.w.add(
            Payment,
            (
                pk,
                client_id,
                Channel.CARD,
                status,
                amount,
                captured_amount,
                refunded,
                email,
                created_by,
                gateway_id,
                authorized,
                capture_before,
                captured,
                None,
                "",
                None,
                moneyback,
                closed,
                record,
                at,
                updated,
            ),
        )
        return moves

    def _refund_audit(
        self,
        rng: random.Random,
        pk: uuid.UUID,
        amount: Decimal,
        refunded: Decimal,
        status: str,
        at: dt.datetime,
    ) -> None:
        manager = rng.choice(self.managers)
        money = f"{amount:.2f}"
        before = {
            "status": "captured",
            "amount": money,
            "captured_amount": money,
            "refunded_amount": "0.00",
            "flagged": False,
        }
        after = {**before, "status": status, "refunded_amount": f"{refunded:.2f}"}
        self.w.add(
            AuditEntry,
            (
                at,
                manager.pk,
                manager.email,
                "payment.refund",
                self.payment_ct,
                str(pk),
                f"{self.channel_label[Channel.CARD]} {money} RUB ({str(pk)[:8]})",
                before,
                {**after, "refund": f"{refunded:.2f}"},
                rng.choice(REFUND_REASONS),
            ),
        )

    def _payment_notices(
        self,
        rng: random.Random,
        contract: str,
        users: list[tuple[int, str, str]],
        credited: list[tuple[uuid.UUID, Decimal, str, dt.datetime]],
    ) -> None:
        for index, (pk, amount, channel, at) in enumerate(credited):
            newest = index == len(credited) - 1
            for user_id, _email, language in users:
                title, card_body, terminal_body = self.notice.get(language, self.notice["ru"])
                params = {"amount": f"{format_money(amount)} RUB", "contract": contract}
                body = card_body if channel == Channel.CARD else terminal_body
                unread = newest and rng.random() < 0.5
                read_at = (
                    None if unread else min(at + dt.timedelta(hours=rng.randint(1, 48)), self.now)
                )
                self.w.add(
                    Notification,
                    (
                        user_id,
                        Category.PAYMENT,
                        (title % params)[:300],
                        body % params,
                        self.receipt_url.format(pk),
                        at,
                        read_at,
                        EmailStatus.SENT,
                        1,
                        at + dt.timedelta(seconds=rng.randint(5, 90)),
                    ),
                )

    # --- requests and threads --------------------------------------------------------------

    def _request(
        self,
        rng: random.Random,
        client_id: int,
        created: dt.datetime,
        status_changed: dt.datetime | None,
        users: list[tuple[int, str, str]],
        manager: User,
        subs: list[_Sub],
    ) -> None:
        if not users:
            return
        now = self.now
        end = min(status_changed or now, now) - dt.timedelta(minutes=10)
        filed = self._between(
            rng, max(created + dt.timedelta(days=1), now - dt.timedelta(days=730)), end
        )
        recent = filed > now - dt.timedelta(days=14) and status_changed is None
        if recent:
            status = rng.choices(
                [
                    RequestStatus.NEW,
                    RequestStatus.APPROVED,
                    RequestStatus.DONE,
                    RequestStatus.REJECTED,
                    RequestStatus.WITHDRAWN,
                ],
                [45, 15, 25, 8, 7],
            )[0]
        else:
            status = rng.choices(
                [RequestStatus.DONE, RequestStatus.REJECTED, RequestStatus.WITHDRAWN], [72, 15, 13]
            )[0]
        kind = rng.choices(
            [
                RequestKind.CHANGE_PARAMETERS,
                RequestKind.OTHER,
                RequestKind.CHANGE_TARIFF,
                RequestKind.CONNECT,
                RequestKind.DISCONNECT,
            ],
            [35, 25, 15, 15, 10],
        )[0]
        open_subs = [s for s in subs if s.status != SubscriptionStatus.CLOSED]
        sub: _Sub | None = None
        service_id = tariff_id = None
        parameters: dict[str, Any] = {}
        subject = text = ""
        if kind == RequestKind.CHANGE_PARAMETERS:
            candidates = [
                (s, spec) for s in open_subs for spec in s.service.specs if spec.client_editable
            ]
            if candidates:
                sub, spec = rng.choice(candidates)
                value = sub.parameters.get(spec.code) if status == RequestStatus.DONE else None
                if value is None:
                    value = self._value(rng, sub.service.code, spec, str(client_id))
                    if spec.type == ParamType.PHONE and value is None:
                        value = f"+79{rng.randint(100000000, 999999999)}"
                parameters = {spec.code: value}
            else:
                kind = RequestKind.OTHER
        elif kind == RequestKind.CHANGE_TARIFF:
            switchable = [
                s
                for s in open_subs
                if any(
                    t.visibility == Visibility.PUBLIC and t.id != s.tariff.id
                    for t in s.service.tariffs
                )
            ]
            if switchable:
                sub = rng.choice(switchable)
                if status == RequestStatus.DONE:
                    tariff_id = sub.tariff.id
                else:
                    public = [
                        t
                        for t in sub.service.tariffs
                        if t.visibility == Visibility.PUBLIC and t.id != sub.tariff.id
                    ]
                    tariff_id = rng.choice(public).id
            else:
                kind = RequestKind.OTHER
        elif kind == RequestKind.CONNECT:
            if status == RequestStatus.DONE:
                sub = rng.choice(subs)
                filed = max(sub.created_at - dt.timedelta(days=rng.randint(1, 3)), created)
                tariff_id, parameters = sub.tariff.id, dict(sub.parameters)
            else:
                have = {s.service.code for s in open_subs}
                missing = [s for s in self.services if s.code not in have]
                if missing:
                    service = rng.choice(missing)
                    public = [
                        t for t in service.tariffs if t.visibility == Visibility.PUBLIC
                    ] or service.tariffs
                    tariff_id = rng.choice(public).id
                    service_id = service.id
                    parameters = {spec.code: spec.default for spec in service.specs}
                else:
                    kind = RequestKind.OTHER
        elif kind == RequestKind.DISCONNECT:
            ended = [(s, s.closed_at) for s in subs if s.closed_at is not None]
            if status == RequestStatus.DONE and ended:
                sub, ended_at = rng.choice(ended)
                filed = max(ended_at - dt.timedelta(days=rng.randint(1, 5)), sub.created_at)
            elif open_subs:
                sub = rng.choice(open_subs)
                if status == RequestStatus.DONE:
                    status = RequestStatus.WITHDRAWN
            else:
                kind = RequestKind.OTHER
        if kind == RequestKind.OTHER:
            subject, text = rng.choice(OTHER_SUBJECTS)
        if sub is not None:
            service_id = sub.service.id
        author = rng.choice(users)
        request_id = self.w.next_id(ServiceRequest)
        due = filed + dt.timedelta(hours=self.due_hours.get(kind, 24))
        events: list[tuple[Any, ...]] = [
            (request_id, filed, author[0], EventAction.STATUS, RequestStatus.NEW, "", None)
        ]
        assignee = decided_by = decided_at = closed_at = None
        comment = ""
        at = filed + dt.timedelta(seconds=2)
        # Managers take on what they decide; half of the rest is assigned while it waits.
        decided_by_manager = status in (
            RequestStatus.APPROVED,
            RequestStatus.DONE,
            RequestStatus.REJECTED,
        )
        if decided_by_manager or (status == RequestStatus.NEW and rng.random() < 0.5):
            assignee = manager.pk
            at = min(at + dt.timedelta(minutes=rng.randint(1, 120)), now - dt.timedelta(minutes=2))
            events.append(
                (
                    request_id,
                    at,
                    manager.pk,
                    EventAction.ASSIGN,
                    RequestStatus.NEW,
                    "",
                    manager.pk,
                )
            )
        if status != RequestStatus.NEW:
            at = min(
                at + dt.timedelta(minutes=rng.randint(10, 60 * 30)), now - dt.timedelta(minutes=1)
            )
            decided_at = at
            if status == RequestStatus.WITHDRAWN:
                decided_by = author[0]
                closed_at = at
                events.append((request_id, at, author[0], EventAction.STATUS, status, "", None))
            elif status == RequestStatus.REJECTED:
                decided_by, closed_at, comment = manager.pk, at, rng.choice(REJECT_COMMENTS)
                events.append(
                    (request_id, at, manager.pk, EventAction.STATUS, status, comment, None)
                )
            else:
                decided_by = manager.pk
                events.append(
                    (
                        request_id,
                        at,
                        manager.pk,
                        EventAction.STATUS,
                        RequestStatus.APPROVED,
                        "",
                        None,
                    )
                )
                if status == RequestStatus.DONE:
                    at = min(
                        at + dt.timedelta(minutes=rng.randint(0, 600)),
                        now - dt.timedelta(seconds=30),
                    )
                    closed_at, comment = at, rng.choice(DONE_COMMENTS)
                    events.append(
                        (request_id, at, manager.pk, EventAction.STATUS, status, comment, None)
                    )
        self.w.add(
            ServiceRequest,
            (
                request_id,
                client_id,
                kind,
                status,
                sub.id if sub else None,
                service_id,
                tariff_id,
                parameters,
                subject,
                text,
                author[0],
                filed,
                assignee,
                due,
                comment,
                decided_by,
                decided_at,
                closed_at,
                filed + dt.timedelta(seconds=2),
            ),
        )
        for event in events:
            self.w.add(RequestEvent, event)

    def _thread(
        self,
        rng: random.Random,
        client_id: int,
        created: dt.datetime,
        users: list[tuple[int, str, str]],
        manager: User,
    ) -> None:
        if not users:
            return
        now = self.now
        client_user = users[0][0] if rng.random() < 0.7 else rng.choice(users)[0]
        at = self._between(
            rng, max(created, now - dt.timedelta(days=730)), now - dt.timedelta(hours=1)
        )
        from_client = rng.random() < 0.75
        thread_id = self.w.next_id(Thread)
        first_author = client_user if from_client else manager.pk
        count = rng.choice([1, 2, 2, 3, 3, 3, 4, 5, 6])
        messages = []
        for n in range(count):
            if n:
                from_client = not from_client if rng.random() < 0.85 else from_client
                at = min(
                    at + dt.timedelta(minutes=rng.randint(10, 4 * 24 * 60)),
                    now - dt.timedelta(minutes=n + 1),
                )
            author = client_user if from_client else manager.pk
            body = rng.choice(CLIENT_LINES if from_client else MANAGER_LINES)
            messages.append((author, from_client, at))
            self.w.add(Message, (thread_id, author, from_client, body, at))
        _last_author, last_from_client, last_at = messages[-1]
        self.w.add(
            Thread,
            (
                thread_id,
                client_id,
                rng.choice(THREAD_SUBJECTS),
                first_author,
                messages[0][2],
                last_at,
                last_from_client,
            ),
        )

        def seen_by(client_side: bool) -> dt.datetime:
            # A reader has seen everything up to their own last message; a reply after it
            # is read later or, for the newest ones, still unread.
            own = [m[2] for m in messages if m[1] == client_side]
            if messages[-1][1] == client_side or rng.random() < 0.7:
                return last_at
            return own[-1] if own else messages[0][2] - dt.timedelta(seconds=1)

        self.w.add(ThreadRead, (thread_id, client_user, seen_by(True)))
        self.w.add(ThreadRead, (thread_id, manager.pk, seen_by(False)))

    # --- billing's side --------------------------------------------------------------------

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


# --- set-up before the clients ---------------------------------------------------------------


def _ensure_catalog(now: dt.datetime) -> tuple[list[tuple[Tariff, TariffVersion]], list[_Service]]:
    """The demo catalog (as ``seed_demo`` makes it) and the extra tariffs; returns the new
    versions (for their billing records) and the services with their tariffs."""
    today = timezone.localdate(now)
    created: list[tuple[Tariff, TariffVersion]] = []
    for position, data in enumerate(catalog_demo.SERVICES, start=1):
        service, _ = Service.objects.get_or_create(
            code=data["code"],
            defaults={
                "name": data["name"],
                "name_en": data["name_en"],
                "description": data["description"],
                "position": position * 10,
                "created_at": now - dt.timedelta(days=2500),
            },
        )
        for order, spec in enumerate(data["params"], start=1):
            ParameterSpec.objects.get_or_create(
                service=service, code=spec["code"], defaults={**spec, "position": order}
            )
        for code, name, name_en, visibility, prices in data["tariffs"]:
            tariff, is_new = Tariff.objects.get_or_create(
                code=code,
                defaults={
                    "service": service,
                    "name": name,
                    "name_en": name_en,
                    "visibility": visibility,
                    "created_at": now - dt.timedelta(days=414),
                },
            )
            if is_new:
                version = TariffVersion.objects.create(
                    tariff=tariff,
                    effective_from=today - dt.timedelta(days=400),
                    created_at=now - dt.timedelta(days=414),
                    **dict(zip(catalog_demo.PRICE_NAMES, map(D, prices), strict=True)),
                )
                created.append((tariff, version))
    for service_code, code, name, name_en, visibility, versions in EXTRA_TARIFFS:
        service = Service.objects.get(code=service_code)
        tariff, is_new = Tariff.objects.get_or_create(
            code=code,
            defaults={
                "service": service,
                "name": name,
                "name_en": name_en,
                "visibility": visibility,
                "created_at": now - dt.timedelta(days=versions[0][0] + 14),
            },
        )
        if is_new:
            for days, prices in versions:
                version = TariffVersion.objects.create(
                    tariff=tariff,
                    effective_from=today - dt.timedelta(days=days),
                    created_at=now - dt.timedelta(days=max(days, 0) + 14),
                    **prices,
                )
                created.append((tariff, version))
    services = []
    for service in Service.objects.filter(is_active=True).prefetch_related("parameters"):
        tariffs = []
        for tariff in Tariff.objects.alive().filter(service=service).prefetch_related("versions"):
            history = sorted(tariff.versions.all(), key=lambda v: v.effective_from)
            if not history:
                continue
            tariffs.append(
                _Tariff(
                    id=tariff.pk,
                    code=tariff.code,
                    name=tariff.name,
                    service_code=service.code,
                    visibility=tariff.visibility,
                    weight=TARIFF_WEIGHTS.get(tariff.code, 5)
                    if tariff.visibility != Visibility.EXCLUSIVE or tariff.code in TARIFF_WEIGHTS
                    else 0,
                    versions=[(v.effective_from, v.prices) for v in history],
                )
            )
        if tariffs:
            services.append(
                _Service(
                    id=service.pk,
                    code=service.code,
                    weight=SERVICE_WEIGHTS.get(service.code, 2),
                    specs=list(service.parameters.all()),
                    tariffs=tariffs,
                )
            )
    return created, services


def _ensure_managers(password: str, total_clients: int, now: dt.datetime) -> list[User]:
    wanted = max(2, -(-total_clients // CLIENTS_PER_MANAGER))
    rng = random.Random("managers")
    managers = []
    for n in range(wanted):
        email = BENCH_MANAGER_EMAIL if n == 0 else f"manager{n:03d}@{USER_DOMAIN}"
        user = User.objects.filter(email=email).first()
        if user is None:
            first, _patronymic, surname, _female = names.person(rng)
            if n == 0:
                first, surname = "Вера", "Нагрузова"
            user = User.objects.create(
                email=email,
                password=password,
                role=Role.MANAGER,
                first_name=first,
                last_name=surname,
                phone=f"+7 812 400-{n // 100:02d}-{n % 100:02d}",
                date_joined=now - dt.timedelta(days=1500),
            )
            user_sync_role_groups(user=user)
        managers.append(user)
    return managers


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


def _register(writer: RowWriter) -> None:
    """Columns of every table written, parents first."""
    writer.register(
        Client,
        [
            "id",
            "contract_number",
            "name",
            "name_search",
            "inn",
            "kpp",
            "legal_address",
            "postal_address",
            "contact_person",
            "contact_phone",
            "contact_email",
            "status",
            "manager_id",
            "note",
            "created_at",
            "updated_at",
            "status_changed_at",
        ],
    )
    writer.register(
        User,
        [
            "id",
            "password",
            "last_login",
            "is_superuser",
            "email",
            "first_name",
            "last_name",
            "is_staff",
            "is_active",
            "date_joined",
            "role",
            "phone",
            "language",
        ],
    )
    writer.register(Membership, ["user_id", "client_id", "role", "position", "created_at"])
    writer.register(TariffOffer, ["tariff_id", "client_id", "created_at"])
    writer.register(
        Subscription,
        [
            "id",
            "client_id",
            "service_id",
            "tariff_id",
            "status",
            "parameters",
            "created_at",
            "updated_at",
            "closed_at",
        ],
    )
    writer.register(
        OutboxRecord, ["id", "record_id", "type", "at", "data", "contract", "package_sequence"]
    )
    writer.register(
        Payment,
        [
            "id",
            "client_id",
            "channel",
            "status",
            "amount",
            "captured_amount",
            "refunded_amount",
            "email",
            "created_by_id",
            "gateway_payment_id",
            "authorized_at",
            "capture_before",
            "captured_at",
            "receipt",
            "terminal_date",
            "accepted_at",
            "moneyback_until",
            "closed_at",
            "capture_record_id",
            "created_at",
            "updated_at",
        ],
    )
    writer.register(
        LedgerEntry, ["client_id", "payment_id", "kind", "amount", "note", "created_at"]
    )
    writer.register(
        AuditEntry,
        [
            "at",
            "actor_id",
            "actor_repr",
            "action",
            "content_type_id",
            "object_id",
            "object_repr",
            "before",
            "after",
            "comment",
        ],
    )
    writer.register(
        Notification,
        [
            "user_id",
            "category",
            "title",
            "body",
            "url",
            "created_at",
            "read_at",
            "email_status",
            "email_attempts",
            "email_sent_at",
        ],
    )
    writer.register(
        ServiceRequest,
        [
            "id",
            "client_id",
            "kind",
            "status",
            "subscription_id",
            "service_id",
            "tariff_id",
            "parameters",
            "subject",
            "text",
            "created_by_id",
            "created_at",
            "assignee_id",
            "due_at",
            "comment",
            "decided_by_id",
            "decided_at",
            "closed_at",
            "processed_at",
        ],
    )
    writer.register(
        RequestEvent, ["request_id", "at", "actor_id", "action", "status", "comment", "assignee_id"]
    )
    writer.register(
        Thread,
        [
            "id",
            "client_id",
            "subject",
            "created_by_id",
            "created_at",
            "last_message_at",
            "awaiting_reply",
        ],
    )
    writer.register(Message, ["thread_id", "author_id", "from_client", "body", "created_at"])
    writer.register(ThreadRead, ["thread_id", "user_id", "read_at"])
    writer.register(
        UsageSummary, ["client_id", "period", "zone", "calls", "minutes", "amount", "package_id"]
    )
    writer.register(
        Charge, ["client_id", "charge_id", "amount", "period", "description", "package_id"]
    )
    writer.register(
        BillingDocument,
        [
            "client_id",
            "document_id",
            "kind",
            "number",
            "date",
            "amount",
            "pdf",
            "has_pdf",
            "package_id",
        ],
    )
    writer.register(BalanceSnapshot, ["client_id", "balance", "as_of", "package_id"])
    writer.register(ImportedRecord, ["record_id", "package_id"])


def _tariff_records(gen: _Generator, created: list[tuple[Tariff, TariffVersion]]) -> None:
    rng = random.Random(f"{gen.seed}:tariffs")
    for tariff, version in created:
        gen._outbox(
            rng,
            "tariff.upserted",
            version.created_at,
            {
                "tariff_code": tariff.code,
                "service_code": tariff.service.code,
                "name": tariff.name,
                "visibility": tariff.visibility,
                "effective_from": version.effective_from.isoformat(),
                "prices": {k: format_money(v) for k, v in version.prices.items()},
            },
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


def dataset_generate(
    *,
    clients: int,
    payments_per_client: int,
    seed: int,
    batch_size: int,
    append: bool = False,
    now: dt.datetime | None = None,
    use_copy: bool | None = None,
    progress: Callable[[int, int, float], None] | None = None,
) -> DatasetReport:
    """Generate ``clients`` clients with everything around them, in one transaction."""
    if clients < 1:
        raise ValueError("clients must be at least 1")
    if not 0 <= payments_per_client <= MAX_PAYMENTS_PER_CLIENT:
        raise ValueError(f"payments per client must be 0…{MAX_PAYMENTS_PER_CLIENT}")
    started = time.monotonic()
    now = (now or timezone.now()).replace(microsecond=0)
    writer = RowWriter(connection, use_copy=use_copy, batch_rows=2000)
    _register(writer)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Parents are written before children, so foreign keys can be checked at the end
            # of each COPY instead of all at the commit (which queues millions of checks).
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        exists, top = _existing_dataset()
        if exists and not append:
            raise DatasetExists(
                "This database already holds a generated dataset "
                f"(contracts {FIRST_CONTRACT}…{top}). Nothing was changed. Use --append to add "
                "more clients after them, or generate into an empty database."
            )
        first = max(FIRST_CONTRACT, (top or 0) + 1)
        password = make_password(BENCH_PASSWORD)
        created_versions, services = _ensure_catalog(now)
        if not services:
            raise ValueError("the catalog has no service with a tariff")
        existing_clients = Client.objects.filter(manager__email__endswith=USER_DOMAIN).count()
        managers = _ensure_managers(password, existing_clients + clients, now)
        schedule = _ensure_schedule(now, fresh=not exists)
        bench_tariff = next(t for s in services for t in s.tariffs if t.code == BENCH_TARIFF_CODE)
        taken = Subscription.objects.filter(
            tariff_id=bench_tariff.id, status=SubscriptionStatus.ACTIVE
        ).count()
        gen = _Generator(
            writer=writer,
            now=now,
            seed=seed,
            payments_per_client=payments_per_client,
            password=password,
            managers=managers,
            services=services,
            bench_tariff=bench_tariff,
            bench_slots=max(0, BENCH_TARIFF_SUBSCRIPTIONS - taken),
            schedule=schedule,
            make_bench_client=not User.objects.filter(email=BENCH_CLIENT_EMAIL).exists(),
        )
        _tariff_records(gen, created_versions)
        for chunk in range(first, first + clients, batch_size):
            for contract in range(chunk, min(chunk + batch_size, first + clients)):
                gen.client(contract)
            writer.flush()
            if progress is not None:
                progress(
                    min(chunk + batch_size, first + clients) - first,
                    clients,
                    time.monotonic() - started,
                )
        writer.flush()
        _finish_packages(schedule)
        if connection.vendor == "postgresql":
            # Back to Django's initially-deferred foreign keys for whatever else this
            # transaction does (only tests run the generator inside a longer one).
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        commit_started = time.monotonic()
    commit_seconds = time.monotonic() - commit_started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in writer.order:
                cursor.execute(f'ANALYZE "{model._meta.db_table}"')
    bench_client = (
        User.objects.filter(email=BENCH_CLIENT_EMAIL).select_related("membership__client").first()
    )
    bench_contract = bench_client.membership.client.contract_number if bench_client else ""
    terminal = (
        str(FIRST_CONTRACT + 1)
        if Client.objects.filter(contract_number=str(FIRST_CONTRACT + 1)).exists()
        else bench_contract
    )
    return DatasetReport(
        clients=clients,
        first_contract=str(first),
        last_contract=str(first + clients - 1),
        counts={m._meta.label: n for m, n in writer.counts().items()},
        seconds=time.monotonic() - started,
        write_seconds={m._meta.label: t for m, t in writer.seconds().items()},
        commit_seconds=commit_seconds,
        method="COPY" if writer.use_copy else "bulk_create",
        bench_manager=BENCH_MANAGER_EMAIL,
        bench_client=BENCH_CLIENT_EMAIL if bench_client else "",
        bench_contract=bench_contract,
        terminal_contract=terminal,
        bench_tariff_id=bench_tariff.id,
        bench_tariff_code=bench_tariff.code,
        bench_tariff_subscriptions=Subscription.objects.filter(
            tariff_id=bench_tariff.id, status=SubscriptionStatus.ACTIVE
        ).count(),
        pending_outbox=OutboxRecord.objects.filter(package_sequence__isnull=True).count(),
    )

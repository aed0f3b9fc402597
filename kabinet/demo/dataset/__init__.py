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

import datetime as dt
import random
import time
from collections.abc import Callable

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from kabinet.accounts.models import Client, ClientStatus, User
from kabinet.calls.days import days_rebuild
from kabinet.calls.partitions import ensure_partitions
from kabinet.exchange.models import (
    OutboxRecord,
)
from kabinet.subscriptions.models import Subscription, SubscriptionStatus

from . import names
from .calls import BENCH_PER_MONTH, CallsPart, months_of_calls
from .catalog import _ensure_catalog, _tariff_records
from .clients import ClientsPart, _ensure_managers, _existing_dataset
from .common import (
    BENCH_CLIENT_EMAIL,
    BENCH_MANAGER_EMAIL,
    BENCH_PASSWORD,
    BENCH_TARIFF_CODE,
    BENCH_TARIFF_SUBSCRIPTIONS,
    EXCHANGE_DAYS,
    FIRST_CONTRACT,
    MAX_PAYMENTS_PER_CLIENT,
    USER_DOMAIN,
    DatasetExists,
    DatasetReport,
)
from .exchange import ExchangePart, _ensure_schedule, _finish_packages
from .payments import PaymentsPart
from .servicedesk import RequestsPart
from .tables import register_tables
from .writer import RowWriter

__all__ = [
    "BENCH_CLIENT_EMAIL",
    "BENCH_MANAGER_EMAIL",
    "BENCH_PASSWORD",
    "BENCH_PER_MONTH",
    "BENCH_TARIFF_CODE",
    "BENCH_TARIFF_SUBSCRIPTIONS",
    "EXCHANGE_DAYS",
    "FIRST_CONTRACT",
    "MAX_PAYMENTS_PER_CLIENT",
    "DatasetExists",
    "DatasetReport",
    "dataset_generate",
]


class _Generator(ClientsPart, RequestsPart, PaymentsPart, ExchangePart, CallsPart):
    """One client at a time, everything around it; each part is in its domain's module."""

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
        self._calls(contract, client_id, status, subs, bench_client)


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
    bench_calls_per_month: int = BENCH_PER_MONTH,
) -> DatasetReport:
    """Generate ``clients`` clients with everything around them, in one transaction."""
    if clients < 1:
        raise ValueError("clients must be at least 1")
    if not 0 <= payments_per_client <= MAX_PAYMENTS_PER_CLIENT:
        raise ValueError(f"payments per client must be 0…{MAX_PAYMENTS_PER_CLIENT}")
    started = time.monotonic()
    now = (now or timezone.now()).replace(microsecond=0)
    writer = RowWriter(connection, use_copy=use_copy, batch_rows=2000)
    register_tables(writer)
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
        ensure_partitions(months_of_calls(now))
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
            bench_calls_per_month=bench_calls_per_month,
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
        # The calls went in by COPY: their per-day totals are added up in one statement.
        days_rebuild()
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

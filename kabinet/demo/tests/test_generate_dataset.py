from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, Max, Sum
from django.urls import reverse
from django.utils import timezone

from kabinet.accounts.models import Client, ClientStatus, Membership, Role, User
from kabinet.catalog.models import Service, Tariff, TariffVersion, Visibility
from kabinet.catalog.params import clean_value
from kabinet.catalog.services import earliest_price_change_date
from kabinet.demo.dataset import (
    BENCH_CLIENT_EMAIL,
    BENCH_MANAGER_EMAIL,
    BENCH_PASSWORD,
    BENCH_TARIFF_CODE,
    EXCHANGE_DAYS,
    dataset_generate,
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
from kabinet.lib.inn import inn_is_valid
from kabinet.messaging.models import Message, Thread, ThreadRead
from kabinet.notifications.models import Notification
from kabinet.payments.models import Channel, LedgerEntry, LedgerKind, Payment, PaymentStatus
from kabinet.servicedesk.models import RequestEvent, RequestStatus, ServiceRequest
from kabinet.subscriptions.models import Subscription, SubscriptionStatus
from kabinet.subscriptions.tariffs import tariff_change_prices

pytestmark = pytest.mark.django_db

CLIENTS = 30
PER_CLIENT = 3
NOW = dt.datetime(2025, 3, 14, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def dataset():
    call_command(
        "generate_dataset",
        clients=CLIENTS,
        payments_per_client=PER_CLIENT,
        seed=7,
        batch_size=7,
        verbosity=0,
    )


def row_counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models()}


def sign_in(client, email: str) -> None:
    response = client.post(reverse("login"), {"username": email, "password": BENCH_PASSWORD})
    assert response.status_code == 302, response.content[:500]


def test_dataset_has_the_expected_row_counts(dataset):
    clients = Client.objects.order_by("contract_number")
    assert [c.contract_number for c in clients] == [str(200000 + g) for g in range(CLIENTS)]
    # Users per client cycle 1, 2, 3; the bench client has two. Plus two managers.
    assert Membership.objects.count() == 61
    assert User.objects.filter(role=Role.CLIENT).count() == 61
    assert list(User.objects.filter(role=Role.MANAGER).values_list("email", flat=True)) == [
        BENCH_MANAGER_EMAIL,
        "manager001@dataset.kabinet.test",
    ]
    # Subscriptions cycle 2, 3, 4 per client; the bench client has three.
    assert Subscription.objects.count() == 91
    assert Payment.objects.count() == CLIENTS * PER_CLIENT
    # Threads cycle 0, 1, 2 per client; the bench client has two. Each has two readers.
    assert Thread.objects.count() == 32
    assert ThreadRead.objects.count() == 64
    assert Message.objects.count() >= 32
    expected_requests = sum(
        3 if c.contract_number == "200000" else min(g % 4, 1 if c.is_closed else 3)
        for g, c in enumerate(clients)
    )
    assert ServiceRequest.objects.count() == expected_requests
    assert RequestEvent.objects.filter(status=RequestStatus.NEW, action="status").count() == (
        expected_requests
    )
    assert ExchangePackage.objects.filter(direction=Direction.SITE_TO_BILLING).count() == (
        EXCHANGE_DAYS + 1
    )
    assert ExchangePackage.objects.filter(direction=Direction.BILLING_TO_SITE).count() == (
        EXCHANGE_DAYS
    )
    billing_rows = (
        UsageSummary.objects.count()
        + Charge.objects.count()
        + BillingDocument.objects.count()
        + BalanceSnapshot.objects.count()
    )
    assert ImportedRecord.objects.count() == billing_rows
    assert ExchangePackage.objects.aggregate(n=Sum("record_count"))["n"] == (
        billing_rows + OutboxRecord.objects.exclude(package_sequence=None).count()
    )


def test_bench_tariff_has_one_active_subscription_in_five_clients(dataset):
    tariff = Tariff.objects.get(code=BENCH_TARIFF_CODE)
    assert tariff.visibility == Visibility.PUBLIC
    assert tariff.subscriptions.filter(status=SubscriptionStatus.ACTIVE).count() == 6
    assert tariff.subscriptions.count() == 6
    assert tariff.versions.count() == 3


def test_every_client_ledger_equals_its_credits_less_refunds(dataset):
    ledger = dict(
        LedgerEntry.objects.values_list("client_id").annotate(total=Sum("amount")).order_by()
    )
    expected: dict[int, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for payment in Payment.objects.all():
        if payment.status in (PaymentStatus.ACCEPTED,):
            expected[payment.client_id] += payment.amount
        elif payment.status in (PaymentStatus.CAPTURED, PaymentStatus.REFUNDED):
            expected[payment.client_id] += payment.captured_amount - payment.refunded_amount
    assert {k: v for k, v in ledger.items() if v} == {k: v for k, v in expected.items() if v}
    assert (
        LedgerEntry.objects.filter(kind=LedgerKind.PAYMENT).count()
        == Payment.objects.filter(
            status__in=[
                PaymentStatus.CAPTURED,
                PaymentStatus.REFUNDED,
                PaymentStatus.ACCEPTED,
                PaymentStatus.CANCELLED,
            ]
        ).count()
    )


def test_payment_statuses_agree_with_amounts_times_and_billing_records(dataset):
    for payment in Payment.objects.select_related("capture_record"):
        credited = payment.status in (
            PaymentStatus.CAPTURED,
            PaymentStatus.REFUNDED,
            PaymentStatus.ACCEPTED,
        )
        assert (payment.capture_record is not None) == credited, payment.status
        if credited:
            assert payment.captured_amount == payment.amount
            assert payment.captured_at is not None
            assert payment.capture_record.type == "payment.captured"
            assert payment.capture_record.data["payment_id"] == str(payment.pk)
            assert payment.capture_record.data["amount"] == f"{payment.amount:.2f}"
        else:
            assert payment.refunded_amount == Decimal("0.00")
        if payment.channel == Channel.TERMINAL:
            assert payment.receipt
            assert payment.status in (PaymentStatus.ACCEPTED, PaymentStatus.CANCELLED)
        else:
            assert payment.receipt is None
        if payment.status == PaymentStatus.REFUNDED:
            assert payment.refunded_amount == payment.amount
            assert payment.closed_at is not None
        if payment.status in (PaymentStatus.AUTHORIZED, PaymentStatus.VOIDED):
            assert payment.authorized_at is not None
            assert payment.moneyback_until is not None
        if payment.status == PaymentStatus.VOIDED:
            assert payment.closed_at < payment.moneyback_until
        refunds = payment.ledger_entries.filter(kind=LedgerKind.REFUND)
        assert -(refunds.aggregate(s=Sum("amount"))["s"] or 0) == payment.refunded_amount
        records = OutboxRecord.objects.filter(
            type="payment.refunded", data__payment_id=str(payment.pk)
        )
        assert records.count() == refunds.count()


def test_subscription_parameters_are_valid_for_the_service_schema(dataset):
    for subscription in Subscription.objects.select_related("service", "tariff"):
        specs = list(subscription.service.parameters.all())
        assert set(subscription.parameters) == {spec.code for spec in specs}
        for spec in specs:
            value = subscription.parameters[spec.code]
            assert clean_value(spec, value) == value, (spec.code, value)
        assert subscription.tariff.service_id == subscription.service_id
        if subscription.tariff.visibility == Visibility.EXCLUSIVE:
            assert subscription.tariff.offers.filter(client=subscription.client).exists()
        assert (subscription.closed_at is None) == (
            subscription.status != SubscriptionStatus.CLOSED
        )


def test_clients_have_valid_inns_and_russian_names(dataset):
    for client in Client.objects.all():
        assert inn_is_valid(client.inn), client.inn
        assert len(client.inn) == (12 if client.name.startswith("ИП ") else 10)
        assert client.name_search == client.name.casefold()
        assert client.manager is not None
        assert any("а" <= ch <= "я" for ch in client.name_search)
    assert Client.objects.values("inn").distinct().count() == CLIENTS


def test_requests_have_histories_matching_their_status(dataset):
    statuses = set(ServiceRequest.objects.values_list("status", flat=True))
    assert len(statuses) >= 3
    for request in ServiceRequest.objects.prefetch_related("events"):
        events = list(request.events.all())
        assert events[0].status == RequestStatus.NEW
        status_events = [e for e in events if e.action == "status"]
        assert status_events[-1].status == request.status
        assert (request.closed_at is not None) == (
            request.status in (RequestStatus.DONE, RequestStatus.REJECTED, RequestStatus.WITHDRAWN)
        )
        if request.subscription_id:
            assert request.subscription.client_id == request.client_id


def test_billing_history_is_exported_and_acknowledged_except_the_last_hours(dataset):
    site = ExchangePackage.objects.filter(direction=Direction.SITE_TO_BILLING)
    last = site.order_by("-sequence").first()
    assert last.status == PackageStatus.EXPORTED
    assert site.exclude(pk=last.pk).exclude(status=PackageStatus.CONFIRMED).count() == 0
    pending = OutboxRecord.objects.filter(package_sequence=None)
    assert pending.count() < OutboxRecord.objects.count() / 10
    assert not pending.filter(at__lte=last.created_at).exists()
    for sequence, count in (
        OutboxRecord.objects.exclude(package_sequence=None)
        .values_list("package_sequence")
        .annotate(n=Count("id"))
    ):
        assert site.get(sequence=sequence).record_count == count
    billing = ExchangePackage.objects.filter(direction=Direction.BILLING_TO_SITE)
    assert billing.exclude(status=PackageStatus.IMPORTED).count() == 0
    assert max(billing.values_list("ack_through", flat=True)) == last.sequence - 1


def test_same_seed_gives_the_same_data_and_another_seed_other_data():
    def fingerprint() -> list[object]:
        return [
            list(Client.objects.order_by("contract_number").values_list("name", "inn", "status")),
            list(User.objects.order_by("email").values_list("email", "first_name", "last_name")),
            list(
                Subscription.objects.order_by(
                    "client__contract_number", "service__code"
                ).values_list("tariff__code", "status", "parameters", "created_at")
            ),
            list(
                Payment.objects.order_by("pk").values_list("pk", "amount", "status", "created_at")
            ),
            list(
                ServiceRequest.objects.order_by(
                    "client__contract_number", "created_at"
                ).values_list("kind", "status", "parameters", "created_at")
            ),
            list(Charge.objects.order_by("charge_id").values_list("charge_id", "amount")),
            list(
                BalanceSnapshot.objects.order_by("client__contract_number", "as_of").values_list(
                    "balance", "as_of"
                )
            ),
        ]

    class Rollback(Exception):
        pass

    prints = []
    for seed in (3, 3, 4):
        with pytest.raises(Rollback), transaction.atomic():
            dataset_generate(clients=12, payments_per_client=4, seed=seed, batch_size=5, now=NOW)
            prints.append(fingerprint())
            raise Rollback
    assert prints[0] == prints[1]
    assert prints[0][0] != prints[2][0]
    assert prints[0][3] != prints[2][3]


def test_second_run_is_refused_and_changes_nothing(dataset):
    before = row_counts()
    with pytest.raises(CommandError, match="already holds a generated dataset"):
        call_command("generate_dataset", clients=5, payments_per_client=1, verbosity=0)
    assert row_counts() == before


def test_append_adds_clients_after_the_existing_ones(dataset):
    call_command("generate_dataset", clients=5, payments_per_client=2, append=True, verbosity=0)
    assert Client.objects.count() == CLIENTS + 5
    assert Client.objects.order_by("-contract_number").first().contract_number == "200034"
    assert User.objects.filter(email=BENCH_CLIENT_EMAIL).count() == 1
    assert Payment.objects.count() == CLIENTS * PER_CLIENT + 10
    assert ExchangePackage.objects.count() == 2 * EXCHANGE_DAYS + 1


def test_bench_client_signs_in_and_sees_only_its_own_company(client, dataset):
    user = User.objects.get(email=BENCH_CLIENT_EMAIL)
    company = user.membership.client
    other = Client.objects.exclude(pk=company.pk).order_by("contract_number").first()
    assert company.status == ClientStatus.ACTIVE
    assert company.subscriptions.count() == 3
    assert company.payments.count() == PER_CLIENT
    assert company.service_requests.count() == 3
    assert company.threads.count() == 2
    assert company.balance_snapshots.exists()
    sign_in(client, BENCH_CLIENT_EMAIL)
    for name in ("cabinet:home", "cabinet:services", "cabinet:payments"):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        page = response.content.decode()
        assert company.contract_number in page or name != "cabinet:home"
        assert other.contract_number not in page
        assert other.name not in page
    page = client.get(reverse("cabinet:payments")).content.decode()
    for payment in company.payments.exclude(status=PaymentStatus.FAILED):
        assert payment.short_id in page
    for payment in other.payments.all():
        assert payment.short_id not in page
    assert (
        client.get(reverse("cabinet:payment_receipt", args=[other.payments.first().pk])).status_code
        == 404
    )


def test_bench_manager_pages_answer(client, dataset):
    sign_in(client, BENCH_MANAGER_EMAIL)
    for name in ("manager:client_list", "manager:requests", "manager:payments"):
        assert client.get(reverse(name)).status_code == 200, name
    assert client.get(reverse("manager:client_list"), {"q": "2000"}).status_code == 200


def test_price_change_of_the_bench_tariff_adds_a_version(dataset):
    tariff = Tariff.objects.get(code=BENCH_TARIFF_CODE)
    manager = User.objects.get(email=BENCH_MANAGER_EMAIL)
    prices = {**tariff.current_version.prices, "monthly_fee": Decimal("749.00")}
    version = tariff_change_prices(
        actor=manager, tariff=tariff, effective_from=earliest_price_change_date(), prices=prices
    )
    assert version.monthly_fee == Decimal("749.00")
    assert TariffVersion.objects.filter(tariff=tariff).count() == 4
    assert Notification.objects.filter(category="tariff").count() >= 1


def test_generates_after_seed_demo_without_touching_the_demo():
    call_command("seed_demo", verbosity=0)
    services = Service.objects.count()
    tariffs = Tariff.objects.count()
    demo_clients = set(Client.objects.values_list("contract_number", flat=True))
    call_command("generate_dataset", clients=6, payments_per_client=2, verbosity=0)
    assert Service.objects.count() == services
    assert Tariff.objects.count() == tariffs + 6
    assert demo_clients == {"100001", "100002", "100003", "100004", "100005"}
    assert set(Client.objects.values_list("contract_number", flat=True)) == demo_clients | {
        str(200000 + g) for g in range(6)
    }
    assert timezone.now() > Payment.objects.order_by("-created_at").first().created_at


# Deadlines may lie ahead; nothing that happened may.
FUTURE_ALLOWED = {"capture_before", "moneyback_until", "due_at", "email_next_attempt_at"}


def test_nothing_has_happened_after_the_generation_time():
    now = timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)
    dataset_generate(clients=300, payments_per_client=10, seed=5, batch_size=100, now=now)
    for model in apps.get_models():
        for f in model._meta.concrete_fields:
            if f.get_internal_type() != "DateTimeField" or f.name in FUTURE_ALLOWED:
                continue
            if f.name == "updated_at" or getattr(f, "auto_now", False):
                continue
            latest = model._default_manager.aggregate(m=Max(f.name))["m"]
            assert latest is None or latest <= now, (model._meta.label, f.name, latest)

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from kabinet.audit.models import AuditEntry
from kabinet.catalog.models import Tariff, TariffVersion
from kabinet.exchange.models import OutboxRecord
from kabinet.notifications.models import Notification
from kabinet.subscriptions.models import Subscription

pytestmark = pytest.mark.django_db


def price_form(date: dt.date, monthly: str = "590.00", step: str = "preview") -> dict:
    return {
        "effective_from": date.isoformat(),
        "monthly_fee": monthly,
        "setup_fee": "1000.00",
        "per_minute_local": "0.00",
        "per_minute_long_distance": "2.50",
        "per_minute_international": "19.00",
        "step": step,
    }


@pytest.fixture
def crowd(make_client, make_client_user, public_tariff, subscribe):
    """30 clients on the tariff, the first with two subscriptions and two users."""
    clients = []
    for i in range(30):
        client = make_client(name=f"ООО «Клиент {i:02d}»")
        make_client_user(client, f"boss{i}@example.com")
        subscribe(client, public_tariff)
        clients.append(client)
    make_client_user(clients[0], "second@example.com")
    subscribe(clients[0], public_tariff)
    closed = make_client(name="ООО «Ушли»")
    make_client_user(closed, "gone@example.com")
    subscribe(
        closed,
        public_tariff,
    ).__class__.objects.filter(client=closed).update(status="closed")
    return clients


def test_impact_preview_counts_everyone_and_saves_nothing(as_manager, public_tariff, crowd):
    later = timezone.localdate() + dt.timedelta(days=12)
    response = as_manager.post(f"/manager/tariffs/{public_tariff.pk}/prices/", price_form(later))
    impact = response.context["impact"]
    assert impact.subscriptions == 31
    assert impact.clients == 30
    assert impact.old_monthly_total == Decimal("15190.00")  # 31 × 490
    assert impact.new_monthly_total == Decimal("18290.00")  # 31 × 590
    assert impact.difference == Decimal("3100.00")
    first = next(r for r in impact.rows if r.client == crowd[0])
    assert (first.subscriptions, first.old_monthly, first.new_monthly) == (
        2,
        Decimal("980.00"),
        Decimal("1180.00"),
    )
    assert TariffVersion.objects.filter(tariff=public_tariff).count() == 1
    assert not Notification.objects.exists()


def test_price_change_notifies_each_affected_user_once(as_manager, public_tariff, crowd):
    later = timezone.localdate() + dt.timedelta(days=12)
    response = as_manager.post(
        f"/manager/tariffs/{public_tariff.pk}/prices/", price_form(later, step="confirm")
    )
    assert response.status_code == 302
    version = TariffVersion.objects.get(tariff=public_tariff, effective_from=later)
    assert version.monthly_fee == Decimal("590.00")
    recipients = sorted(Notification.objects.values_list("user__email", flat=True))
    assert len(recipients) == 31  # 30 bosses + the second user of client 0; nobody twice
    assert len(set(recipients)) == 31
    assert "gone@example.com" not in recipients
    notice = Notification.objects.get(user__email="boss0@example.com")
    assert notice.body.startswith("New prices")
    assert "490.00\xa0₽ → 590.00\xa0₽" in notice.body
    assert len(mail.outbox) == 31
    assert (
        AuditEntry.objects.filter(action="tariff.prices", object_id=str(public_tariff.pk)).count()
        == 1
    )
    record = OutboxRecord.objects.filter(type="tariff.upserted").last()
    assert record.data["effective_from"] == later.isoformat()
    assert record.data["prices"]["monthly_fee"] == "590.00"
    # Today's price is unchanged until the date comes.
    assert Tariff.objects.get(pk=public_tariff.pk).current_version.monthly_fee == Decimal("490.00")


def test_a_client_with_a_closed_subscription_elsewhere_is_still_told(
    as_manager, public_tariff, crowd, make_client, make_client_user, subscribe, make_tariff
):
    """Open on this tariff and closed on another: still on this tariff, so told."""
    both = make_client(name="ООО «Два тарифа»")
    make_client_user(both, "both@example.com")
    subscribe(both, public_tariff)
    other = make_tariff("other-tariff")
    closed = subscribe(both, other)
    type(closed).objects.filter(pk=closed.pk).update(status="closed")
    later = timezone.localdate() + dt.timedelta(days=12)
    as_manager.post(
        f"/manager/tariffs/{public_tariff.pk}/prices/", price_form(later, step="confirm")
    )
    recipients = set(Notification.objects.values_list("user__email", flat=True))
    assert "both@example.com" in recipients
    assert len(recipients) == 32


def test_price_change_before_notice_period_is_refused(as_manager, public_tariff, crowd, settings):
    soon = timezone.localdate() + dt.timedelta(days=settings.KABINET_TARIFF_NOTICE_DAYS - 1)
    response = as_manager.post(
        f"/manager/tariffs/{public_tariff.pk}/prices/", price_form(soon, step="confirm")
    )
    assert response.status_code == 200
    assert "No earlier than" in response.content.decode()
    assert TariffVersion.objects.filter(tariff=public_tariff).count() == 1
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    "bad",
    [
        {"monthly_fee": "-1"},
        {"monthly_fee": "abc"},
        {"setup_fee": ""},
        {"per_minute_local": "1.234"},
    ],
)
def test_bad_prices_are_refused(as_manager, public_tariff, bad):
    data = {**price_form(timezone.localdate() + dt.timedelta(days=20), step="confirm"), **bad}
    response = as_manager.post(f"/manager/tariffs/{public_tariff.pk}/prices/", data)
    assert response.status_code == 200
    assert TariffVersion.objects.filter(tariff=public_tariff).count() == 1


def test_archiving_notifies_nobody_and_keeps_subscriptions(as_manager, public_tariff, crowd):
    data = {
        "name": "Public",
        "name_en": "",
        "description": "",
        "description_en": "",
        "visibility": "archived",
    }
    response = as_manager.post(f"/manager/tariffs/{public_tariff.pk}/edit/", data)
    assert response.status_code == 302
    public_tariff.refresh_from_db()
    assert public_tariff.visibility == "archived"
    assert Subscription.objects.filter(tariff=public_tariff).count() == 32
    assert not Notification.objects.exists()
    assert AuditEntry.objects.filter(action="tariff.archived").count() == 1


def test_tariff_with_subscriptions_cannot_be_deleted(as_manager, public_tariff, crowd):
    response = as_manager.post(f"/manager/tariffs/{public_tariff.pk}/delete/", {"confirm": "on"})
    assert response.status_code == 200
    public_tariff.refresh_from_db()
    assert public_tariff.deleted_at is None


def test_move_all_subscriptions_then_delete(as_manager, public_tariff, make_tariff, crowd):
    target = make_tariff("target", monthly="390.00")
    response = as_manager.post(
        f"/manager/tariffs/{public_tariff.pk}/move/", {"target": target.pk, "confirm": "on"}
    )
    assert response.status_code == 302
    assert Subscription.objects.filter(tariff=target).count() == 31
    assert Subscription.objects.filter(tariff=public_tariff, status="closed").count() == 1
    assert Notification.objects.count() == 31
    assert OutboxRecord.objects.filter(type="subscription.upserted").count() == 31
    response = as_manager.post(f"/manager/tariffs/{public_tariff.pk}/delete/", {"confirm": "on"})
    assert response.status_code == 302
    public_tariff.refresh_from_db()
    assert public_tariff.deleted_at is not None
    assert TariffVersion.objects.filter(tariff=public_tariff).exists()  # history kept


def test_move_to_another_service_is_refused(as_manager, public_tariff, crowd):
    from kabinet.catalog.models import Service

    other = Service.objects.create(code="other", name="Другая")
    foreign = Tariff.objects.create(service=other, code="foreign", name="Чужой")
    response = as_manager.post(
        f"/manager/tariffs/{public_tariff.pk}/move/", {"target": foreign.pk, "confirm": "on"}
    )
    assert response.status_code == 200
    assert not Subscription.objects.filter(tariff=foreign).exists()


def test_exclusive_offers_by_contract_numbers(as_manager, make_tariff, company, other_company):
    tariff = make_tariff("vip", "exclusive")
    response = as_manager.post(
        f"/manager/tariffs/{tariff.pk}/offers/", {"contracts": "100001, 100002"}
    )
    assert response.status_code == 302
    assert set(tariff.offers.values_list("client__contract_number", flat=True)) == {
        "100001",
        "100002",
    }
    response = as_manager.post(
        f"/manager/tariffs/{tariff.pk}/offers/", {"contracts": "100001 999999"}
    )
    assert response.status_code == 200
    assert "999999" in response.content.decode()
    assert tariff.offers.count() == 2


def test_manager_builds_a_service_and_tariff(as_manager, manager):
    response = as_manager.post(
        "/manager/services/new/",
        {
            "code": "fax",
            "name": "Факс",
            "name_en": "Fax",
            "description": "",
            "is_active": "on",
            "position": "5",
        },
    )
    assert response.status_code == 302
    from kabinet.catalog.models import ParameterSpec, Service

    fax = Service.objects.get(code="fax")
    response = as_manager.post(
        f"/manager/services/{fax.pk}/parameters/new/",
        {
            "code": "pages",
            "type": "int",
            "label": "Страниц",
            "label_en": "Pages",
            "help": "",
            "help_en": "",
            "default": "10",
            "min_value": "1",
            "max_value": "100",
            "pattern": "",
            "choices_text": "",
            "client_editable": "on",
            "position": "1",
        },
    )
    assert response.status_code == 302
    spec = ParameterSpec.objects.get(service=fax, code="pages")
    assert spec.default == 10
    response = as_manager.post(
        "/manager/tariffs/new/",
        {
            "service": fax.pk,
            "code": "fax-basic",
            "name": "Факс базовый",
            "name_en": "",
            "description": "",
            "description_en": "",
            "visibility": "public",
            "monthly_fee": "100.00",
            "setup_fee": "0",
            "per_minute_local": "0",
            "per_minute_long_distance": "0",
            "per_minute_international": "0",
        },
    )
    assert response.status_code == 302
    tariff = Tariff.objects.get(code="fax-basic")
    assert tariff.current_version.monthly_fee == Decimal("100.00")
    assert (
        AuditEntry.objects.filter(
            action__in=["service.create", "parameter.create", "tariff.create"]
        ).count()
        == 3
    )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"type": "int", "min_value": "10", "max_value": "1"}, "max_value"),
        ({"type": "choice", "choices_text": ""}, "choices"),
        ({"type": "text", "pattern": "(unclosed"}, "pattern"),
        ({"type": "int", "default": "abc"}, "default"),
        ({"type": "int", "default": "500", "max_value": "100"}, "default"),
        ({"type": "bool", "needs_approval": "on"}, "needs_approval"),
    ],
)
def test_nonsense_parameter_schema_is_refused(as_manager, service, data, field):
    from kabinet.catalog.models import ParameterSpec

    base = {
        "code": "newparam",
        "type": "text",
        "label": "Х",
        "label_en": "X",
        "help": "",
        "help_en": "",
        "default": "",
        "min_value": "",
        "max_value": "",
        "pattern": "",
        "choices_text": "",
        "position": "1",
    }
    response = as_manager.post(f"/manager/services/{service.pk}/parameters/new/", {**base, **data})
    assert response.status_code == 200
    assert field in response.context["form"].errors or response.context["form"].non_field_errors()
    assert not ParameterSpec.objects.filter(code="newparam").exists()


def test_catalog_lists_run_fixed_queries(
    as_manager, client, make_tariff, django_assert_max_num_queries
):
    for i in range(3):
        make_tariff(f"t{i}")
    counts = {}
    for url in ("/manager/tariffs/", "/manager/services/", "/tariffs/"):
        http = client if url == "/tariffs/" else as_manager
        with django_assert_max_num_queries(20) as captured:
            http.get(url)
        counts[url] = len(captured.captured_queries)
    for i in range(3, 30):
        make_tariff(f"t{i}")
    for url, n in counts.items():
        http = client if url == "/tariffs/" else as_manager
        with django_assert_max_num_queries(n):
            http.get(url)

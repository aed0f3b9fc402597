"""Who sees public, archived and exclusive tariffs on the site and in both cabinets."""

from __future__ import annotations

import pytest

from kabinet.catalog.models import TariffOffer

pytestmark = pytest.mark.django_db


@pytest.fixture
def tariffs(make_tariff, company, other_company, subscribe):
    t = {
        "public": make_tariff("public"),
        "archived": make_tariff("archived", "archived"),
        "mine": make_tariff("exclusive-mine", "exclusive"),
        "theirs": make_tariff("exclusive-theirs", "exclusive"),
        "deleted": make_tariff("deleted"),
    }
    TariffOffer.objects.create(tariff=t["mine"], client=company)
    TariffOffer.objects.create(tariff=t["theirs"], client=other_company)
    from django.utils import timezone

    t["deleted"].deleted_at = timezone.now()
    t["deleted"].save()
    return t


@pytest.mark.parametrize(
    ("key", "on_site", "offered_to_client", "in_manager_list"),
    [
        ("public", True, True, True),
        ("archived", False, False, True),
        ("mine", False, True, True),
        ("theirs", False, False, True),
        ("deleted", False, False, False),
    ],
)
def test_visibility_matrix(
    client, as_client, as_manager, tariffs, key, on_site, offered_to_client, in_manager_list
):
    tariff = tariffs[key]
    marker = f'data-testid="tariff-{tariff.code}"'
    assert (marker in client.get("/tariffs/").content.decode()) is on_site
    offer = f'data-testid="offer-{tariff.code}"'
    assert (offer in as_client.get("/cabinet/services/").content.decode()) is offered_to_client
    connect = as_client.get(f"/cabinet/services/connect/{tariff.pk}/")
    assert connect.status_code == (200 if offered_to_client else 404)
    manager_list = as_manager.get("/manager/tariffs/").content.decode()
    assert (f"/manager/tariffs/{tariff.pk}/" in manager_list) is in_manager_list


def test_client_keeps_seeing_own_archived_tariff(as_client, company, tariffs, subscribe):
    subscription = subscribe(company, tariffs["archived"])
    page = as_client.get(f"/cabinet/services/{subscription.pk}/").content.decode()
    assert "Archived" in page
    # ...but cannot pick it again anywhere else.
    assert (
        'data-testid="offer-archived"' not in as_client.get("/cabinet/services/").content.decode()
    )


def test_switch_options_hide_archived_and_others_exclusives(as_client, company, tariffs, subscribe):
    subscription = subscribe(company, tariffs["public"])
    response = as_client.get(f"/cabinet/services/{subscription.pk}/")
    options = {t.code for t in response.context["tariffs"]}
    assert options == {"exclusive-mine"}


def test_other_company_cannot_ask_for_my_exclusive_tariff(
    as_other_client, other_company, tariffs, subscribe
):
    from kabinet.servicedesk.models import ServiceRequest

    subscription = subscribe(other_company, tariffs["public"])
    response = as_other_client.post(
        f"/cabinet/services/{subscription.pk}/tariff/", {"tariff": tariffs["mine"].pk}
    )
    assert response.status_code == 302
    assert not ServiceRequest.objects.exists()


def test_manager_may_connect_archived_and_exclusive(as_manager, company, tariffs):
    from kabinet.subscriptions.models import Subscription

    for key in ("archived", "theirs"):
        response = as_manager.post(
            f"/manager/clients/{company.pk}/services/new/",
            {
                "tariff": tariffs[key].pk,
                "step": "connect",
                "lines": "3",
                "caller_id": "on",
                "number": "+78121234567",
                "delay": "0",
                "prefix": "5",
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]
    assert sorted(Subscription.objects.values_list("tariff__code", flat=True)) == [
        "archived",
        "exclusive-theirs",
    ]

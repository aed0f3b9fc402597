"""The forecast on the client's and the manager's screens, and the alert settings page."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kabinet.conftest import logged_in
from kabinet.forecast import services
from kabinet.forecast.models import AlertPolicy
from kabinet.forecast.selectors import client_forecast
from kabinet.payments import agents

pytestmark = pytest.mark.django_db


@pytest.fixture
def spending(company, subscribe, public_tariff):
    subscribe(company, public_tariff)
    agents.payment_accept_agent(
        provider="osmp", txn_id="1", client=company, amount=Decimal("100.00"), txn_date="20261204"
    )
    return client_forecast(company)


def test_client_sees_the_forecast(as_client, spending):
    home = as_client.get("/cabinet/").content.decode()
    assert 'data-testid="home-forecast"' in home
    assert f"about {spending.days_left} day" in home  # a short runway: shown in days
    page = as_client.get("/cabinet/payments/").content.decode()
    assert 'data-testid="forecast-days"' in page and "a day" in page


def test_negative_and_idle_states(as_client, company, other_company, as_other_client):
    page = as_other_client.get("/cabinet/payments/").content.decode()
    assert "Nothing left" in page  # balance 0.00, nothing spent: nothing left


def test_admin_sets_the_threshold_and_people(as_client, company, colleague, client_user):
    response = as_client.post(
        "/cabinet/balance-alerts/",
        {
            "enabled": "on",
            "kind": "money",
            "days": "7",
            "amount": "2500",
            "recipients": [colleague.pk],
        },
    )
    assert response.status_code == 302
    policy = AlertPolicy.objects.get(client=company)
    assert (policy.kind, policy.amount, list(policy.recipients.all())) == (
        "money",
        Decimal("2500.00"),
        [colleague],
    )


@pytest.mark.parametrize(
    "data",
    [
        {"enabled": "on", "kind": "days", "days": "0", "amount": "100"},
        {"enabled": "on", "kind": "days", "days": "91", "amount": "100"},
        {"enabled": "on", "kind": "weeks", "days": "7", "amount": "100"},
        {"enabled": "on", "kind": "money", "days": "7", "amount": "-1"},
        {"enabled": "on", "kind": "money", "days": "7", "amount": "abc"},
        {"enabled": "on", "kind": "days", "days": "7", "amount": "100", "recipients": ["999999"]},
    ],
)
def test_bad_settings_change_nothing(as_client, company, data):
    response = as_client.post("/cabinet/balance-alerts/", data)
    assert response.status_code == 400
    assert not AlertPolicy.objects.filter(client=company).exists()


def test_another_companys_people_cannot_be_chosen(as_client, company, other_client_user):
    response = as_client.post(
        "/cabinet/balance-alerts/",
        {
            "enabled": "on",
            "kind": "days",
            "days": "7",
            "amount": "100",
            "recipients": [other_client_user.pk],
        },
    )
    assert response.status_code == 400
    assert not AlertPolicy.objects.filter(client=company).exists()


def test_an_ordinary_employee_sees_but_cannot_change(company, colleague):
    http = logged_in(colleague)
    page = http.get("/cabinet/balance-alerts/")
    assert page.status_code == 200 and "Only the company's administrators" in page.content.decode()
    response = http.post(
        "/cabinet/balance-alerts/", {"enabled": "", "kind": "days", "days": "3", "amount": "1"}
    )
    assert response.status_code == 403
    assert not AlertPolicy.objects.filter(client=company).exists()


def test_manager_filters_and_sees_days_left(as_manager, company, other_company, spending):
    services.forecast_pass()
    listing = as_manager.get("/manager/clients/?runs_out=7").content.decode()
    assert company.contract_number in listing
    # other_company has nothing spent and a zero balance: "already used up" (0 days).
    assert (
        other_company.contract_number
        in as_manager.get("/manager/clients/?runs_out=0").content.decode()
    )
    assert (
        company.contract_number
        not in as_manager.get("/manager/clients/?runs_out=0").content.decode()
    )
    card = as_manager.get(f"/manager/clients/{company.pk}/").content.decode()
    assert 'data-testid="forecast-days"' in card
    assert as_manager.get("/manager/clients/?runs_out=junk").status_code == 200

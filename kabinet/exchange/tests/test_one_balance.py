"""One balance on every screen: after billing's snapshot, the cabinet's home, the payments
page, the billing page, the manager's reconciliation and the automation rules all show the
spec's figure (the snapshot plus the website's payments after its ``as_of``)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kabinet.conftest import logged_in
from kabinet.exchange.selectors import client_balance as billing_balance
from kabinet.payments import agents
from kabinet.payments.selectors import client_balance
from kabinet.servicedesk.balance import client_balance as rules_balance

from .helpers import import_bytes

pytestmark = pytest.mark.django_db


def shown(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}"[^>]*>(?:<a [^>]*>)?([^<]+)<', html)
    assert match, testid
    return match.group(1).replace("\xa0", " ").strip()


def test_every_screen_shows_the_snapshot_plus_the_payments_after_it(
    peer, company, client_user, manager
):
    agents.payment_accept_agent(
        provider="osmp", txn_id="1", client=company, amount=Decimal("500.00"), txn_date="20261204"
    )
    assert client_balance(client=company) == Decimal("500.00")  # no snapshot yet: the ledger

    as_of = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    import_bytes(peer.package([peer.snapshot("100001", "1234.56", as_of)]))

    expected = Decimal("1734.56")
    assert client_balance(client=company) == expected
    assert billing_balance(company).amount == expected
    assert rules_balance(company) == expected
    http = logged_in(client_user)
    assert shown(http.get("/cabinet/").content.decode(), "home-balance") == "1,734.56 ₽"
    assert shown(http.get("/cabinet/payments/").content.decode(), "balance") == "1,734.56 ₽"
    assert shown(http.get("/cabinet/billing/").content.decode(), "balance") == "1,734.56 ₽"
    page = logged_in(manager).get(f"/manager/exchange/clients/{company.pk}/").content.decode()
    assert shown(page, "balance") == "1,734.56 ₽"
    # The forecast, its nightly pass (alerts, the manager's list) and the client card.
    from kabinet.forecast.selectors import client_forecast
    from kabinet.forecast.services import forecast_pass
    from kabinet.payments.selectors import balances_for

    assert client_forecast(company).balance == expected
    assert balances_for([company])[company.pk] == expected
    forecast_pass()
    assert company.forecast.balance == expected
    card = logged_in(manager).get(f"/manager/clients/{company.pk}/").content.decode()
    assert shown(card, "manager-balance") == "1,734.56 ₽"

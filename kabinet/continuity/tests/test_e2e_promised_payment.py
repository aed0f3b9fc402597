"""The promised payment in a real browser, as the issue's "done when" reads: a low-balance
demo client takes one (and cannot take a second), the record is in the billing export, and
the manager finds it and revokes it with a reason (billing hears it ended)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from kabinet.conftest import browser_login
from kabinet.continuity.models import PromisedPayment
from kabinet.exchange.models import OutboxRecord

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_low_balance_client_takes_one_and_cannot_take_a_second(
    live_server, page, settings, tmp_path
):
    settings.VAR_DIR = tmp_path / "var"
    call_command("seed_demo", verbosity=0)
    base = live_server.url
    page.context.add_cookies([{"name": "kabinet_language", "value": "en", "url": base}])
    from kabinet.accounts.models import User

    User.objects.filter(email__in=["client100004@kabinet.test", "manager@kabinet.test"]).update(
        language="en"
    )
    browser_login(page, base, "client100004@kabinet.test", "demo12345")
    page.goto(base + "/cabinet/payments/")
    page.get_by_test_id("promised-link").click()
    assert "Pay it back within 5 days" in page.inner_text("main")
    page.get_by_label("I have read the terms").check()
    page.locator("[data-testid=credit-form] button[type=submit]").click()
    assert "is granted" in page.inner_text("main")
    credit = PromisedPayment.objects.get()
    assert page.get_by_test_id("credit-left").inner_text().startswith("640.00")
    expect(page.get_by_test_id("credit-form")).to_have_count(0)  # no second one while it is open
    record = OutboxRecord.objects.get(type="credit.promised")
    assert record.data["credit_id"] == str(credit.pk) and record.data["contract"] == "100004"

    page.context.clear_cookies()
    page.context.add_cookies([{"name": "kabinet_language", "value": "en", "url": base}])
    browser_login(page, base, "manager@kabinet.test", "demo12345")
    page.goto(base + "/manager/promised-payments/")
    assert "100004" in page.get_by_test_id("credit-table").inner_text()
    page.fill(f"#reason-{credit.pk}", "Asked by the client")
    page.get_by_role("button", name="Revoke").click()
    credit.refresh_from_db()
    assert credit.status == "revoked"
    assert OutboxRecord.objects.get(type="credit.ended").data["reason"] == "revoked"

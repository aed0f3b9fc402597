"""Card autopay in a real browser, as the issue's "done when" reads: a demo card client turns
autopay on (the terms, the consent, the card payment on the YooKassa stand-in's page), the
balance crosses the threshold and the saved card is charged once (the record in the billing
export), then the client turns it off and the card is forgotten. axe-core checks each new
screen at 1280 and 390 px."""

from __future__ import annotations

from decimal import Decimal

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from playwright.sync_api import expect

from kabinet.conftest import browser_login
from kabinet.continuity.models import Autopay, AutopayCharge, AutopayStatus
from kabinet.exchange.models import OutboxRecord
from kabinet.forecast import services as forecast
from kabinet.forecast.models import AlertPolicy, ThresholdKind
from kabinet.payments.tests.yookassa_standin import YooKassaStandIn

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def yookassa(settings, live_server):
    standin = YooKassaStandIn("123456", "test_secret").start()
    standin.notify_url = f"{live_server.url}/pay/yookassa/notify/"
    settings.KABINET_PAYMENT_PROVIDERS = ["kabinet", "yookassa"]
    settings.KABINET_YOOKASSA_SHOP_ID = "123456"
    settings.KABINET_YOOKASSA_SECRET_KEY = "test_secret"
    settings.KABINET_YOOKASSA_API_URL = standin.url
    settings.KABINET_YOOKASSA_CHECKOUT_ORIGINS = [standin.url.rsplit("/v3", 1)[0]]
    settings.KABINET_YOOKASSA_ALLOWED_IPS = []
    settings.KABINET_RECEIPTS = True
    settings.SITE_URL = live_server.url
    yield standin
    standin.stop()


def no_serious_violations(page, axe: Axe) -> None:
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        found = [
            f"{v['id']} at {v['nodes'][0]['target']}"
            for v in axe.run(page).response["violations"]
            if v["impact"] in ("critical", "serious")
        ]
        assert found == [], (page.url, width, found)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_card_client_turns_autopay_on_is_charged_once_and_turns_it_off(
    yookassa, live_server, page, settings, tmp_path
):
    settings.VAR_DIR = tmp_path / "var"
    call_command("seed_demo", verbosity=0)
    base = live_server.url
    axe = Axe()
    page.context.add_cookies([{"name": "kabinet_language", "value": "en", "url": base}])
    from kabinet.accounts.models import User

    User.objects.filter(email="client100001@kabinet.test").update(language="en")
    browser_login(page, base, "client100001@kabinet.test", "demo12345")
    page.goto(base + "/cabinet/payments/")
    page.get_by_test_id("autopay-link").click()
    no_serious_violations(page, axe)
    page.get_by_label("Amount charged when the balance runs low").fill("4000")
    page.get_by_label("First payment now, which saves the card").fill("500")
    page.get_by_role("button", name="Continue to the terms").click()
    consent = page.get_by_test_id("autopay-consent").inner_text()
    assert "4,000.00" in consent and "at most once a day" in consent
    no_serious_violations(page, axe)
    page.get_by_label("I have read the terms and allow these charges").check()
    page.get_by_test_id("autopay-agree").click()
    page.wait_for_url("**/v3/checkout/**")
    page.click("#pay")
    page.wait_for_url(f"{base}/pay/status/**")
    page.goto(base + "/cabinet/autopay/")
    assert "Bank card *4444" in page.get_by_test_id("autopay-on").inner_text()
    no_serious_violations(page, axe)
    autopay = Autopay.objects.get()
    assert autopay.status == AutopayStatus.ACTIVE and autopay.consent_text == consent

    # The balance runs low (the threshold above it): one charge, once.
    AlertPolicy.objects.update_or_create(
        client=autopay.client,
        defaults={"kind": ThresholdKind.MONEY, "amount": Decimal("10000000"), "armed": True},
    )
    forecast.forecast_pass()
    AlertPolicy.objects.update(armed=True, last_alert_at=None)
    forecast.forecast_pass()
    charge = AutopayCharge.objects.get()
    assert charge.status == "paid" and charge.payment.amount == Decimal("4000.00")
    record = OutboxRecord.objects.get(
        type="payment.captured", data__payment_id=str(charge.payment_id)
    )
    assert record.data["amount"] == "4000.00" and record.data["provider"] == "yookassa"
    page.reload()
    assert "Charged" in page.get_by_test_id("autopay-charges").inner_text()
    page.goto(base + "/cabinet/payments/")
    assert "autopay" in page.get_by_test_id("payment-table").inner_text()

    page.goto(base + "/cabinet/autopay/")
    page.get_by_test_id("autopay-off").click()
    assert "Autopay is off and the card is forgotten." in page.inner_text("main")
    autopay.refresh_from_db()
    assert autopay.status == AutopayStatus.OFF and autopay.method_id == ""
    expect(page.get_by_test_id("autopay-form")).to_have_count(1)

"""A payer and a manager in Chromium, against a live server and a YooKassa stand-in that
speaks the published API v3: pay by card through YooKassa → held → the manager returns the
money (a cancel at YooKassa); pay again → the money-back window passes → captured → the
manager refunds part (a refund at YooKassa)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connections
from playwright.sync_api import expect

from kabinet.exchange.models import OutboxRecord
from kabinet.payments.models import Payment, PaymentStatus
from kabinet.payments.selectors import client_balance
from kabinet.payments.tasks import capture_due_payments

from .test_e2e_card import new_page, wait_for_status
from .yookassa_standin import YooKassaStandIn

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def yookassa(settings, live_server):
    standin = YooKassaStandIn("123456", "test_secret").start()
    standin.notify_url = f"{live_server.url}/pay/yookassa/notify/"
    settings.KABINET_PAYMENT_PROVIDERS = ["yookassa"]
    settings.KABINET_YOOKASSA_SHOP_ID = "123456"
    settings.KABINET_YOOKASSA_SECRET_KEY = "test_secret"
    settings.KABINET_YOOKASSA_API_URL = standin.url
    settings.KABINET_YOOKASSA_METHODS = ["card", "sbp"]
    settings.SITE_URL = live_server.url
    settings.KABINET_MONEYBACK_HOURS = 3
    yield standin
    standin.stop()


def pay_through_yookassa(page, live_server, amount: str) -> Payment:
    page.goto(f"{live_server.url}/pay/?contract=100001&amount={amount}")
    page.get_by_label("Bank card (YooKassa)").check()
    page.get_by_test_id("pay-submit").click()
    page.wait_for_url("**/v3/checkout/**")
    page.click("#pay")
    page.wait_for_url(f"{live_server.url}/pay/status/**")
    expect(page.get_by_test_id("pay-status")).to_contain_text("Payment accepted")
    return Payment.objects.get(status=PaymentStatus.AUTHORIZED)


def test_yookassa_card_money_back_capture_and_refund(
    yookassa, browser, live_server, company, manager, settings
):
    try:
        type(manager).objects.update(language="en")
        payer = new_page(browser, live_server)
        first = pay_through_yookassa(payer, live_server, "1500.00")
        assert first.provider == "yookassa"

        desk = new_page(browser, live_server, manager.email)
        desk.goto(f"{live_server.url}/manager/payments/{first.pk}/")
        expect(desk.get_by_test_id("provider")).to_contain_text("YooKassa")
        desk.get_by_test_id("void-link").click()
        desk.fill("textarea[name=reason]", "Paid twice by mistake")
        desk.check("input[name=confirm]")
        desk.get_by_test_id("confirm-action").click()
        expect(desk.get_by_test_id("payment-status").first).to_have_text("Money returned")
        assert yookassa.payments[first.gateway_payment_id]["status"] == "canceled"
        assert client_balance(client=company) == Decimal("0.00")

        settings.KABINET_MONEYBACK_HOURS = 0
        second = pay_through_yookassa(payer, live_server, "2000.00")
        capture_due_payments.enqueue()
        second = wait_for_status(second.pk, PaymentStatus.CAPTURED)
        assert second.status == PaymentStatus.CAPTURED
        assert yookassa.payments[second.gateway_payment_id]["status"] == "succeeded"
        assert client_balance(client=company) == Decimal("2000.00")

        desk.goto(f"{live_server.url}/manager/payments/{second.pk}/")
        desk.get_by_test_id("refund-link").click()
        desk.fill("input[name=amount]", "500")
        desk.fill("textarea[name=reason]", "Overpaid")
        desk.check("input[name=confirm]")
        desk.get_by_test_id("confirm-action").click()
        expect(desk.locator(".messages")).to_contain_text("500.00\xa0₽ is refunded.")
        assert client_balance(client=company) == Decimal("1500.00")
        refunded = yookassa.payments[second.gateway_payment_id]["refunded_amount"]["value"]
        assert refunded == "500.00"
        assert OutboxRecord.objects.filter(type="payment.refunded").count() == 1
        payer.screenshot(path="/tmp/yookassa-status.png")
    finally:
        connections.close_all()

"""A payer, a manager and a client in Chromium, against a live server and paysim.

Pay by card on /pay/ → held → a manager returns the money (balance unchanged); pay
again → the money-back window passes → captured and credited → a manager refunds part.
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from django.db import connections
from playwright.sync_api import Page, expect

from kabinet.conftest import PASSWORD
from kabinet.exchange.models import OutboxRecord
from kabinet.lib.signing import generate_key_pair
from kabinet.payments.models import Payment, PaymentStatus
from kabinet.payments.selectors import client_balance
from kabinet.payments.tasks import capture_due_payments
from paysim.config import Config
from paysim.server import PaysimApp
from paysim.signing import generate_key_pair as paysim_key_pair

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
def paysim(tmp_path, settings, live_server):
    site_private, site_public, _ = generate_key_pair(tmp_path / "keys", "site")
    gateway = paysim_key_pair(tmp_path / "keys", "gateway")
    config = Config(
        db_path=tmp_path / "paysim.sqlite3",
        private_key=str(gateway.private_path),
        trusted_keys=(str(site_public),),
        merchant_id="kabinet-e2e",
    )
    app = PaysimApp(config, retry_schedule=(0.2, 0.5, 1.0), sweep_interval=0.5)
    app.start("127.0.0.1", 0)
    settings.KABINET_GATEWAY_URL = app.url
    settings.KABINET_MERCHANT_ID = "kabinet-e2e"
    settings.SITE_URL = live_server.url
    settings.KABINET_SITE_PRIVATE_KEY = str(site_private)
    settings.KABINET_GATEWAY_PUBLIC_KEYS = [str(gateway.public_path)]
    settings.KABINET_MONEYBACK_HOURS = 3
    yield app
    app.stop()


def new_page(browser, live_server, email: str | None = None) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": "kabinet_language", "value": "en", "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(20_000)
    if email:
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", email)
        page.fill("input[name=password]", PASSWORD)
        page.click("form[action='/login/'] button[type=submit]")
        page.wait_for_load_state()
    return page


def wait_for_status(payment_id, status: str, timeout: float = 20.0) -> Payment:
    deadline = time.monotonic() + timeout
    while True:
        payment = Payment.objects.get(pk=payment_id)
        if payment.status == status or time.monotonic() > deadline:
            return payment
        time.sleep(0.2)


def pay_by_card(page: Page, live_server, amount: str) -> Payment:
    page.goto(f"{live_server.url}/pay/?contract=100001&amount={amount}")
    expect(page.get_by_test_id("recipient-name")).to_contain_text("*")
    page.get_by_test_id("pay-submit").click()
    page.wait_for_url("**/pay/*")
    page.fill("#card_number", "4111 1111 1111 1111")
    page.fill("#expiry", "12/30")
    page.fill("#cvc", "123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/pay/status/**")
    expect(page.get_by_test_id("pay-status")).to_contain_text("Payment accepted")
    payment = Payment.objects.get(status=PaymentStatus.AUTHORIZED)
    return payment


def test_card_payment_money_back_capture_and_refund(
    paysim, browser, live_server, company, client_user, manager, settings
):
    try:
        journey(browser, live_server, company, client_user, manager, settings)
    finally:
        # Playwright's sync API gives the test body its own context, hence its own
        # database connection: close it here, or the test database cannot be dropped.
        connections.close_all()


def journey(browser, live_server, company, client_user, manager, settings) -> None:
    type(manager).objects.update(language="en")  # the test reads English
    payer = new_page(browser, live_server)
    first = pay_by_card(payer, live_server, "1500.00")
    assert first.amount == Decimal("1500.00")

    client_page = new_page(browser, live_server, client_user.email)
    client_page.goto(f"{live_server.url}/cabinet/payments/")
    expect(client_page.get_by_test_id("held")).to_contain_text("1,500.00")
    expect(client_page.get_by_test_id("balance")).to_contain_text("0.00")

    # A manager returns the held money inside the window: the balance never changes.
    desk = new_page(browser, live_server, manager.email)
    desk.goto(f"{live_server.url}/manager/payments/{first.pk}/")
    desk.get_by_test_id("void-link").click()
    desk.fill("textarea[name=reason]", "Paid twice by mistake")
    desk.check("input[name=confirm]")
    desk.get_by_test_id("confirm-action").click()
    expect(desk.get_by_test_id("payment-status").first).to_have_text("Money returned")
    assert wait_for_status(first.pk, PaymentStatus.VOIDED).status == PaymentStatus.VOIDED
    assert client_balance(client=company) == Decimal("0.00")

    # Pay again; this time the money-back window is over at once and the job captures.
    settings.KABINET_MONEYBACK_HOURS = 0
    second = pay_by_card(payer, live_server, "2000.00")
    capture_due_payments.enqueue()
    second = wait_for_status(second.pk, PaymentStatus.CAPTURED)
    assert second.status == PaymentStatus.CAPTURED
    capture_due_payments.enqueue()  # a second run changes nothing
    assert client_balance(client=company) == Decimal("2000.00")
    assert OutboxRecord.objects.filter(type="payment.captured").count() == 1
    payer.reload()
    expect(payer.get_by_test_id("pay-status")).to_contain_text("Payment complete")
    client_page.goto(f"{live_server.url}/cabinet/payments/")
    expect(client_page.get_by_test_id("balance")).to_contain_text("2,000.00")

    # A manager refunds part of it.
    desk.goto(f"{live_server.url}/manager/payments/{second.pk}/")
    desk.get_by_test_id("refund-link").click()
    desk.fill("input[name=amount]", "500")
    desk.fill("textarea[name=reason]", "Overpaid")
    desk.check("input[name=confirm]")
    desk.get_by_test_id("confirm-action").click()
    expect(desk.locator(".messages")).to_contain_text("500.00\xa0₽ is refunded.")
    assert client_balance(client=company) == Decimal("1500.00")
    assert OutboxRecord.objects.filter(type="payment.refunded").count() == 1
    client_page.goto(f"{live_server.url}/cabinet/payments/")
    expect(client_page.get_by_test_id("balance")).to_contain_text("1,500.00")

    # paysim's own notifications (voided, captured, refunded) arrive and change nothing more.
    time.sleep(1.5)
    assert client_balance(client=company) == Decimal("1500.00")
    assert OutboxRecord.objects.filter(type__startswith="payment.").count() == 2

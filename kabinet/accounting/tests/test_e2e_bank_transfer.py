"""The bank-transfer journey in a real browser, as the issue's "done when" reads: a demo
client issues an invoice and sees its QR code; billing (billingsim) receives the transfer
and says so in a package; the invoice shows paid, the balance and the history are right;
the quarter's reconciliation statement balances."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from billingsim.cli import main as billingsim
from kabinet.accounting.models import Invoice, InvoiceStatus, Statement
from kabinet.conftest import browser_login
from kabinet.exchange.services import exchange_export, exchange_import
from kabinet.exchange.tests.peer import write_key_pair
from kabinet.payments.models import Payment
from kabinet.payments.selectors import client_balance

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_invoice_paid_by_bank_transfer_and_the_quarter_reconciled(
    live_server, page, tmp_path, settings
):
    _key, site_private, site_public = write_key_pair(tmp_path, "e2e-site")
    _bkey, billing_private, billing_public = write_key_pair(tmp_path, "e2e-billing")
    settings.KABINET_SITE_PRIVATE_KEY = str(site_private)
    settings.KABINET_BILLING_PUBLIC_KEYS = [str(billing_public)]
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.VAR_DIR = tmp_path / "var"  # no demo keys: the demo's own round trip stays out
    call_command("seed_demo", verbosity=0)
    Invoice.objects.filter(client__contract_number="100001").update(status="cancelled")
    base = live_server.url
    page.context.add_cookies([{"name": "kabinet_language", "value": "en", "url": base}])
    from kabinet.accounts.models import User

    User.objects.filter(email="client100001@kabinet.test").update(language="en")
    browser_login(page, base, "client100001@kabinet.test", "demo12345")

    # Balance and payments → Invoices → Issue an invoice, with an amount of our own.
    page.goto(base + "/cabinet/payments/")
    page.get_by_test_id("invoices-link").click()
    page.get_by_test_id("invoice-new").click()
    expect(page.get_by_test_id("suggestion")).to_be_visible()
    page.fill("input[name=amount]", "7 350,50")
    page.locator("[data-testid=invoice-form] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/cabinet/invoices/[0-9a-f-]{36}/$"))
    invoice = Invoice.objects.filter(status=InvoiceStatus.ISSUED).get(amount=Decimal("7350.50"))
    expect(page.get_by_test_id("invoice-qr").locator("svg")).to_be_visible()
    assert invoice.number in page.inner_text("h1")
    with page.expect_download() as download:
        page.get_by_test_id("invoice-pdf").click()
    assert download.value.suggested_filename == f"invoice-{invoice.number}.pdf"

    # The operator carries the website's package to billing; the bank transfer arrives.
    sim = [
        "--home",
        str(tmp_path / "bs"),
        "--key",
        str(billing_private),
        "--trust",
        str(site_public),
    ]
    site_package = exchange_export(actor=None)
    assert billingsim([*sim, "import", site_package.file.path]) == 0

    def billing_answers(name: str) -> None:
        answer = tmp_path / name
        assert billingsim([*sim, "export", "--out", str(answer)]) == 0
        with answer.open("rb") as file:
            assert exchange_import(actor=None, file=file, file_name=answer.name).ok

    billing_answers("first.zip")  # billing's balance snapshot, before the transfer
    balance_before = client_balance(client=invoice.client)
    assert billingsim([*sim, "pay-invoice", invoice.number, "--reference", "5521"]) == 0
    billing_answers("second.zip")  # the transfer (and a snapshot that may or may not have it)

    # The invoice shows paid; the bank payment is in the history; the balance moved once.
    page.reload()
    assert page.get_by_test_id("invoice-status").inner_text() == "Paid"
    expect(page.get_by_test_id("invoice-qr")).to_have_count(0)
    payment = Payment.objects.get(reference="5521")
    assert payment.channel == "bank" and payment.amount == Decimal("7350.50")
    assert client_balance(client=payment.client) == balance_before + Decimal("7350.50")
    page.goto(base + "/cabinet/payments/")
    row = page.get_by_test_id("payment-table").locator("tbody tr").first
    assert "Bank transfer" in row.inner_text() and "5521" in row.inner_text()

    # The reconciliation statement for the last quarter (the form suggests it) balances.
    page.goto(base + "/cabinet/payments/")
    page.get_by_test_id("statements-link").click()
    page.locator("[data-testid=statement-form] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/cabinet/statements/[0-9a-f-]{36}/$"))
    statement = Statement.objects.get()
    assert statement.closing == statement.opening + statement.credit - statement.debit
    expect(page.get_by_test_id("statement-closing")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_test_id("statement-pdf").click()
    assert download.value.suggested_filename.startswith("reconciliation-")

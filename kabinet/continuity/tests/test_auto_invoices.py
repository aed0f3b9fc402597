"""Automatic invoices end to end: a company administrator opts in with the accountants'
addresses; the low-balance alert issues one invoice (the bank-QR invoice of the accounting
app) for the amount that brings the balance to M days, e-mailed as a PDF; none while it is
unpaid; billing's bank payment marks it paid and the next crossing may issue another."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail
from django.test import TestCase
from django.utils import timezone

from kabinet.accounting.models import Invoice, InvoiceStatus
from kabinet.audit.models import AuditEntry
from kabinet.conftest import logged_in
from kabinet.continuity.models import AutoInvoice, AutoInvoicePolicy
from kabinet.continuity.services import auto_invoice_amount
from kabinet.exchange.tests.helpers import import_bytes
from kabinet.exchange.tests.peer import stamp
from kabinet.forecast import services as forecast
from kabinet.forecast.models import AlertPolicy
from kabinet.forecast.selectors import client_forecast
from kabinet.notifications.models import Notification
from kabinet.payments import agents

pytestmark = pytest.mark.django_db

URL = "/cabinet/auto-invoices/"


@pytest.fixture
def low(company, subscribe, public_tariff):
    subscribe(company, public_tariff)  # 490 ₽ a month
    agents.payment_accept_agent(
        provider="osmp", txn_id="1", client=company, amount=Decimal("50.00"), txn_date="20261204"
    )
    return company


def run_pass() -> None:
    with TestCase.captureOnCommitCallbacks(execute=True):
        forecast.forecast_pass()


def test_opted_in_company_gets_one_invoice_by_email(as_client, low, client_user, peer):
    response = as_client.post(
        URL, {"enabled": "on", "days": "30", "emails": "buh@baltlog.example\nBoss@Baltlog.example"}
    )
    assert response.status_code == 302
    policy = AutoInvoicePolicy.objects.get()
    assert policy.email_list == ["buh@baltlog.example", "boss@baltlog.example"]
    assert AuditEntry.objects.filter(action="auto_invoice.settings").exists()
    mail.outbox.clear()
    expected = auto_invoice_amount(client_forecast(low), 30)
    run_pass()
    invoice = Invoice.objects.get()
    # 30 days at 490/31 a day, less the 50 ₽ balance, rounded up to 100 ₽.
    assert invoice.amount == expected == Decimal("500.00")
    assert invoice.created_by is None and invoice.status == InvoiceStatus.ISSUED
    assert AutoInvoice.objects.get().invoice == invoice
    invoice_mails = [m for m in mail.outbox if m.attachments]
    assert sorted(m.to[0] for m in invoice_mails) == ["boss@baltlog.example", "buh@baltlog.example"]
    assert all(m.attachments[0][2] == "application/pdf" for m in invoice_mails)
    assert "автоматически выставил" in invoice_mails[0].body  # the operator's language
    assert Notification.objects.filter(
        user=client_user, title__contains="issued automatically"
    ).exists()
    page = as_client.get(URL).content.decode()
    assert invoice.number in page
    # The alert re-arms and fires again while the invoice is unpaid: no second invoice.
    AlertPolicy.objects.update(armed=True, last_alert_at=None)
    run_pass()
    assert Invoice.objects.count() == 1
    # Billing receives the bank transfer quoting the invoice: paid. The next crossing
    # (the balance is still low) issues a new one.
    import_bytes(
        peer.package(
            [peer.received("100001", "B-1", "500.00", stamp(timezone.now()), invoice.number)]
        )
    )
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    AlertPolicy.objects.update(armed=True, last_alert_at=None)
    run_pass()
    assert Invoice.objects.count() == 1  # 550 ₽ lasts about 34 days: not low any more


def test_not_opted_in_nothing_is_issued(low):
    run_pass()
    assert not Invoice.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"enabled": "on", "days": "30", "emails": ""}, "at least one accounting e-mail"),
        ({"enabled": "on", "days": "30", "emails": "not-an-address"}, "is not an e-mail address"),
        ({"enabled": "on", "days": "3", "emails": "a@b.example"}, "greater than or equal to 7"),
        (
            {
                "enabled": "on",
                "days": "30",
                "emails": " ".join(f"a{i}@b.example" for i in range(6)),
            },
            "At most five",
        ),
    ],
)
def test_bad_settings_change_nothing(as_client, low, data, message):
    response = as_client.post(URL, data)
    assert response.status_code == 400 and message in response.content.decode()
    assert not AutoInvoicePolicy.objects.exists()


def test_an_employee_sees_but_cannot_change(low, colleague):
    http = logged_in(colleague)
    assert http.get(URL).status_code == 200
    response = http.post(URL, {"enabled": "on", "days": "30", "emails": "x@y.example"})
    assert response.status_code == 403 and not AutoInvoicePolicy.objects.exists()


def test_the_amount_rule():
    """Enough for M days of spending, less the balance, rounded up to 100 ₽."""
    import datetime as dt

    from kabinet.forecast.selectors import forecast_from

    f = forecast_from(Decimal("1000.00"), Decimal("3100.00"), Decimal("0"), dt.date(2026, 12, 4))
    assert f.daily_spend == Decimal("100.00")
    assert auto_invoice_amount(f, 30) == Decimal("2000.00")
    assert auto_invoice_amount(f, 10) == Decimal("0.00")
    assert auto_invoice_amount(f, 11) == Decimal("100.00")
    f = forecast_from(Decimal("-250.50"), Decimal("3100.00"), Decimal("0"), dt.date(2026, 12, 4))
    assert auto_invoice_amount(f, 7) == Decimal("1000.00")  # 700 + 250.50 → 1000


def test_low_balance_alerts_of_a_batch_are_read_once_by_continuity(
    make_client, subscribe, public_tariff
):
    """The pass tells continuity about a whole batch of alerts at once: the queries that
    find who asked for automatic invoices or autopay do not grow with the alerts (the bench
    found 2 queries per alerted client, 75% of the pass)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def alerting(prefix: str, count: int) -> None:
        for n in range(count):
            client = make_client(f"{prefix}{n:04d}")
            subscribe(client, public_tariff)
            agents.payment_accept_agent(
                provider="osmp",
                txn_id=f"{prefix}{n}",
                client=client,
                amount=Decimal("10.00"),
                txn_date="20261204",
            )

    def pass_queries() -> tuple[int, int]:
        AlertPolicy.objects.all().delete()
        with CaptureQueriesContext(connection) as ctx:
            result = forecast.forecast_pass(batch=1000)
        return len(ctx.captured_queries), result.alerts

    alerting("31", 2)
    few, few_alerts = pass_queries()
    alerting("32", 8)
    many, many_alerts = pass_queries()
    assert (few_alerts, many_alerts) == (2, 10)
    assert many == few

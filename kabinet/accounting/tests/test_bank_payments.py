"""payment.received from billing: a bank payment in the history and the ledger, paying the
invoice it matches, counted once in the balance whatever snapshots come; bad packages change
nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from kabinet.accounting import services
from kabinet.accounting.models import Invoice, InvoiceStatus
from kabinet.exchange.tests.helpers import import_bytes
from kabinet.notifications.models import Notification
from kabinet.payments.models import LedgerEntry, Payment, PaymentStatus
from kabinet.payments.selectors import client_balance

pytestmark = pytest.mark.django_db


def stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


NOW = timezone.now().replace(microsecond=0)


def invoice_for(company, user, amount: str) -> Invoice:
    return services.invoice_issue(
        client=company,
        actor=user,
        amount=Decimal(amount),
        period=timezone.localdate().replace(day=1),
    )


def test_a_bank_payment_pays_the_invoice_and_reaches_history_ledger_and_notices(
    peer, company, client_user, as_client, as_manager
):
    invoice = invoice_for(company, client_user, "2400.00")
    other = invoice_for(company, client_user, "999.00")
    result = import_bytes(
        peer.package([peer.received("100001", "B-1", "2400.00", stamp(NOW), "417")])
    )
    assert result.ok, result.report
    payment = Payment.objects.get(external_id="B-1")
    assert (payment.channel, payment.provider, payment.status, payment.reference) == (
        "bank",
        "billing",
        PaymentStatus.ACCEPTED,
        "417",
    )
    assert payment.accepted_at == NOW and payment.amount == Decimal("2400.00")
    entry = LedgerEntry.objects.get(payment=payment)
    assert entry.amount == Decimal("2400.00") and entry.created_at == NOW
    invoice.refresh_from_db()
    other.refresh_from_db()
    assert (invoice.status, invoice.payment_id) == (InvoiceStatus.PAID, payment.pk)
    assert other.status == InvoiceStatus.ISSUED
    titles = list(Notification.objects.filter(user=client_user).values_list("title", flat=True))
    assert any("reached your balance" in t for t in titles)
    assert any(f"Invoice № {invoice.number} is paid" in t for t in titles)
    # Not sent back: billing knows it.
    from kabinet.exchange.models import OutboxRecord

    assert not OutboxRecord.objects.filter(type="payment.captured").exists()
    history = as_client.get("/cabinet/payments/").content.decode()
    assert "Bank transfer" in history and "payment order № 417" in history
    page = as_client.get(f"/cabinet/invoices/{invoice.pk}/").content.decode()
    assert "Paid" in page and "payment order" in page and "invoice-qr" not in page
    manager_list = as_manager.get("/manager/payments/?channel=bank").content.decode()
    assert "Bank transfer" in manager_list and "100001" in manager_list
    csv = b"".join(as_manager.get("/manager/payments/export.csv?channel=bank").streaming_content)
    assert b"B-1" in csv and b",417" in csv


def test_an_invoice_number_in_the_reference_wins_over_the_amount(peer, company, client_user):
    first = invoice_for(company, client_user, "500.00")
    second = invoice_for(company, client_user, "700.00")
    import_bytes(
        peer.package(
            [peer.received("100001", "B-2", "500.00", stamp(NOW), f"по счёту {second.number}")]
        )
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (InvoiceStatus.ISSUED, InvoiceStatus.PAID)


def test_a_payment_matching_no_invoice_is_still_credited(peer, company, client_user):
    invoice = invoice_for(company, client_user, "500.00")
    import_bytes(peer.package([peer.received("100001", "B-3", "123.45", stamp(NOW))]))
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.ISSUED
    assert client_balance(client=company) == Decimal("123.45")


def test_the_balance_counts_a_bank_payment_once_around_snapshots(peer, company):
    """The README's rule: a snapshot as of a moment includes the payments billing received
    up to that moment; later ones are added by the website."""
    before, received, after = NOW - dt.timedelta(hours=2), NOW - dt.timedelta(hours=1), NOW
    import_bytes(peer.package([peer.snapshot("100001", "-1000.00", stamp(before))]))
    import_bytes(peer.package([peer.received("100001", "B-4", "2400.00", stamp(received))]))
    assert client_balance(client=company) == Decimal("1400.00")  # −1000 + 2400
    # Billing's next snapshot already has it (as of the same second, and later): not twice.
    import_bytes(peer.package([peer.snapshot("100001", "1400.00", stamp(received))]))
    assert client_balance(client=company) == Decimal("1400.00")
    import_bytes(peer.package([peer.snapshot("100001", "1400.00", stamp(after))]))
    assert client_balance(client=company) == Decimal("1400.00")


def test_a_repeat_in_a_later_package_is_noted_not_counted(peer, company):
    import_bytes(peer.package([peer.received("100001", "B-5", "100.00", stamp(NOW))]))
    result = import_bytes(peer.package([peer.received("100001", "B-5", "100.00", stamp(NOW))]))
    assert result.ok
    assert "B-5 was received before" in result.report
    assert Payment.objects.filter(external_id="B-5").count() == 1
    assert client_balance(client=company) == Decimal("100.00")


@pytest.mark.parametrize(
    "records,reason",
    [
        (
            lambda p: [
                p.received("100001", "D-1", "10.00", stamp(NOW)),
                p.received("100001", "D-1", "10.00", stamp(NOW)),
            ],
            "line 3: payment_id 'D-1' appears twice in this package",
        ),
        (
            lambda p: [p.received("999999", "U-1", "10.00", stamp(NOW))],
            "line 2: unknown contract '999999'",
        ),
        (lambda p: [p.received("100001", "Z-1", "0.00", stamp(NOW))], "must be more than 0.00"),
        (lambda p: [p.received("100001", "Z-2", "-5.00", stamp(NOW))], "must be more than 0.00"),
        (
            lambda p: [p.received("100001", "C-1", "5.00", stamp(NOW), channel="card")],
            "must be one of bank, cash, other",
        ),
        (lambda p: [p.received("100001", "T-1", "5.00", "yesterday")], "RFC 3339"),
    ],
)
def test_bad_records_reject_the_whole_package(peer, company, records, reason):
    good = peer.received("100001", "G-1", "50.00", stamp(NOW))
    result = import_bytes(peer.package([good, *records(peer)]))
    assert not result.ok
    assert reason in result.report
    assert Payment.objects.count() == 0 and LedgerEntry.objects.count() == 0

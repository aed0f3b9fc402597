"""The terminal protocol: every code of the table, replays, cancels, concurrency."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connections
from django.utils import timezone

from kabinet.exchange.models import OutboxRecord
from kabinet.payments.models import Channel, LedgerEntry, LedgerKind, Payment, PaymentStatus
from kabinet.payments.selectors import client_balance

from .helpers import money_state

pytestmark = pytest.mark.django_db

DATE = "2026-11-24T10:15:00"


def fields(action="payment", number="100001", amount="500.00", receipt="1000001", date=DATE):
    data = {"action": action, "number": number, "amount": amount, "receipt": receipt, "date": date}
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def closed_company(make_client):
    return make_client("100005", status="closed")


def test_check_changes_nothing_and_answers_ok(peer, company):
    before = money_state()
    reply = peer.terminal(fields("check"))
    assert (reply.status, reply.code, reply.message, reply.authcode) == (200, 0, "OK", "")
    assert money_state() == before


def test_payment_credits_the_balance_and_exports(peer, company):
    reply = peer.terminal(fields())
    payment = Payment.objects.get()
    assert (reply.code, reply.authcode) == (0, str(payment.pk))
    assert reply.date == payment.accepted_at.astimezone(__import__("datetime").UTC).strftime(
        "%Y-%m-%dT%H:%M:%S"
    )
    assert (payment.channel, payment.status, payment.receipt, payment.terminal_date) == (
        Channel.TERMINAL,
        PaymentStatus.ACCEPTED,
        "1000001",
        DATE,
    )
    assert client_balance(client=company) == Decimal("500.00")
    record = OutboxRecord.objects.get(type="payment.captured")
    assert record.data["channel"] == "terminal"
    assert record.data["amount"] == "500.00"
    assert payment.capture_record == record


def test_repeated_payment_returns_the_first_answer_and_credits_nothing(peer, company):
    first = peer.terminal(fields())
    before = money_state()
    again = peer.terminal(fields(date="2026-11-24T10:20:00"))
    assert (again.code, again.authcode, again.date) == (0, first.authcode, first.date)
    assert money_state() == before


@pytest.mark.parametrize("change", [{"number": "100002"}, {"amount": "501.00"}])
def test_same_receipt_with_other_number_or_amount_is_code_4(peer, company, other_company, change):
    peer.terminal(fields())
    before = money_state()
    reply = peer.terminal(fields(**change))
    assert (reply.code, reply.authcode) == (4, "")
    assert money_state() == before


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (fields(action="refund"), 1),
        (fields(action=""), 1),
        ({"number": "100001"}, 1),
        (fields(number="999999"), 2),
        (fields(number="10000a"), 2),
        (fields(number=""), 2),
        (fields(action="check", number="999999"), 2),
        (fields(amount="500"), 3),
        (fields(amount="500.0"), 3),
        (fields(amount="-500.00"), 3),
        (fields(amount="9.99"), 3),
        (fields(amount="500000.01"), 3),
        (fields(amount="1e3"), 3),
        (fields(amount=None), 3),
        (fields(action="check", amount="abc"), 3),
        (fields(receipt="12"), 4),
        (fields(receipt="123456789012345678901"), 4),
        (fields(receipt="12a45"), 4),
        (fields(receipt=None), 4),
        (fields(date="2026-11-24 10:15:00"), 5),
        (fields(date="2026-02-30T10:15:00"), 5),
        (fields(date="24.11.2026"), 5),
        (fields(date=None), 5),
        (fields(action="status", receipt="5555555"), 6),
        (fields(action="cancel", receipt="5555555"), 6),
        (fields(action="status", receipt="55"), 4),
    ],
)
def test_codes_for_bad_requests_and_nothing_changes(peer, company, data, code):
    before = money_state()
    reply = peer.terminal(data)
    assert reply.code == code
    assert reply.status == 200
    assert reply.authcode == ""
    assert reply.trusted
    assert money_state() == before


def test_closed_account_does_not_accept_payments(peer, closed_company):
    before = money_state()
    assert peer.terminal(fields("check", number="100005")).code == 7
    assert peer.terminal(fields(number="100005")).code == 7
    assert money_state() == before


def test_status_answers_the_payments_authcode_and_date(peer, company):
    paid = peer.terminal(fields())
    reply = peer.terminal(fields("status", number=None, amount=None, date=None))
    assert (reply.code, reply.authcode, reply.date, reply.message) == (
        0,
        paid.authcode,
        paid.date,
        "accepted",
    )


def test_cancel_inside_the_window_reverses_the_payment(peer, company):
    paid = peer.terminal(fields())
    reply = peer.terminal(fields("cancel"))
    assert (reply.code, reply.authcode) == (0, paid.authcode)
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.CANCELLED
    assert client_balance(client=company) == Decimal("0.00")
    assert list(LedgerEntry.objects.order_by("id").values_list("kind", "amount")) == [
        (LedgerKind.PAYMENT, Decimal("500.00")),
        (LedgerKind.CANCELLATION, Decimal("-500.00")),
    ]
    # Not yet exported, so billing never hears of it.
    assert not OutboxRecord.objects.filter(type="payment.captured").exists()
    before = money_state()
    assert peer.terminal(fields("cancel")).code == 0
    assert money_state() == before
    assert peer.terminal(fields("status")).message == "cancelled"


def test_cancel_after_the_window_is_code_9(peer, company):
    peer.terminal(fields())
    Payment.objects.update(moneyback_until=timezone.now() - timedelta(seconds=1))
    before = money_state()
    assert peer.terminal(fields("cancel")).code == 9
    assert money_state() == before


def test_cancel_after_export_is_code_9(peer, company):
    peer.terminal(fields())
    OutboxRecord.objects.filter(type="payment.captured").update(package_sequence=1)
    before = money_state()
    reply = peer.terminal(fields("cancel"))
    assert reply.code == 9
    assert "exported" in reply.message
    assert money_state() == before


def test_internal_error_is_code_10_and_changes_nothing(peer, company, monkeypatch):
    from kabinet.payments.providers import terminal

    def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(terminal, "credit_final", broken)
    before = money_state()
    reply = peer.terminal(fields())
    assert (reply.status, reply.code, reply.message) == (200, 10, "internal error, retry later")
    assert reply.trusted
    assert money_state() == before


def test_get_works_like_post(peer, company):
    reply = peer.terminal(fields(), method="GET")
    assert reply.code == 0
    assert client_balance(client=company) == Decimal("500.00")


def test_other_http_methods_are_not_allowed(client):
    assert client.put("/pay/terminal/").status_code == 405
    assert client.get("/pay/notify/").status_code == 405


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_identical_payments_credit_once(make_client, gateway_key, site_public):
    from django.test import Client as HttpClient

    from .peer import SitePeer

    company = make_client("100001")
    replies, errors = [], []
    start = threading.Barrier(50)

    def pay():
        try:
            peer = SitePeer(HttpClient(), gateway_key, site_public)
            start.wait()
            replies.append(peer.terminal(fields(amount="750.00", receipt="4242424242")))
        except Exception as exc:  # surfaced below: a thread must not fail silently
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=pay) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    payment = Payment.objects.get()
    assert len(replies) == 50
    assert {(r.code, r.authcode, r.date) for r in replies} == {
        (0, str(payment.pk), replies[0].date)
    }
    assert all(r.trusted for r in replies)
    assert client_balance(client=company) == Decimal("750.00")
    assert LedgerEntry.objects.count() == 1
    assert OutboxRecord.objects.filter(type="payment.captured").count() == 1

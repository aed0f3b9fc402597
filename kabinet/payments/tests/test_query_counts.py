"""The signed payment endpoints' happy paths run a fixed, small number of statements (issue
#17): the request's message, the payment, its ledger credit, billing record and notice, and
the answer's message, in one transaction; the e-mail is queued once it commits.

Inside a test's transaction the endpoint's transaction is a savepoint: SAVEPOINT and RELEASE
stand for BEGIN and COMMIT. The tests run each request's on-commit work when it ends, with the
immediate task backend: the receipt e-mail's 4 statements (SAVEPOINT, the notice, its
update, RELEASE) follow; in production they are the worker's, and the request queues the
task in one INSERT after its COMMIT.
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import connection
from django.test import Client as HttpClient

from kabinet.exchange.models import OutboxRecord
from kabinet.notifications.models import EmailStatus, Notification
from kabinet.payments.models import (
    Channel,
    GatewayMessage,
    LedgerEntry,
    MessageKind,
    Payment,
    PaymentStatus,
)

from .peer import event
from .test_osmp import agent, answer, pay
from .test_osmp import osmp as osmp
from .test_terminal import fields
from .test_yookassa import SECRET, SHOP
from .yookassa_standin import YooKassaStandIn

pytestmark = pytest.mark.django_db

EMAIL = 4
# ratelimit; SAVEPOINT; payment by receipt; client (locked); billing record; payment; ledger;
# promised payments; the company's users; their choices; notice; 2 messages; RELEASE; e-mail
TERMINAL_PAYMENT = 14 + EMAIL
# ratelimit; SAVEPOINT; payment (locked); event seen?; billing record; ledger; promised
# payments; users; choices; notice; payment; 2 messages; RELEASE; e-mail
CARD_CAPTURED = 14 + EMAIL
# ratelimit; client; SAVEPOINT; agent transaction; billing record; payment; ledger; promised
# payments; users; choices; notice; agent transaction; RELEASE; e-mail
OSMP_PAY = 13 + EMAIL
# ratelimit; payment; the API's request and answer; SAVEPOINT; payment (locked); billing
# record; ledger; promised payments; users; choices; notice; payment; RELEASE; e-mail; the
# message
YOOKASSA_SUCCEEDED = 15 + EMAIL


def _credited_once(payment: Payment) -> None:
    assert list(LedgerEntry.objects.filter(payment=payment).values_list("amount", flat=True)) == [
        payment.amount
    ]
    assert OutboxRecord.objects.filter(type="payment.captured").count() == 1
    assert Notification.objects.filter(user__membership__client=payment.client).count() == 1


def test_terminal_payment_statements(peer, company, client_user, django_assert_num_queries):
    with django_assert_num_queries(TERMINAL_PAYMENT):
        reply = peer.terminal(fields())
    assert (reply.code, reply.trusted) == (0, True)
    payment = Payment.objects.get()
    _credited_once(payment)
    assert payment.capture_record == OutboxRecord.objects.get()
    request, response = GatewayMessage.objects.order_by("id")
    assert (request.kind, request.outcome, request.payment, request.reference) == (
        MessageKind.TERMINAL,
        "code 0",
        payment,
        "1000001",
    )
    assert (response.kind, response.reply_to, response.payment) == (
        MessageKind.TERMINAL_RESPONSE,
        request,
        payment,
    )


def test_terminal_repeat_statements(peer, company, client_user, django_assert_num_queries):
    first = peer.terminal(fields())
    # ratelimit; SAVEPOINT; payment by receipt (with its client); 2 messages; RELEASE
    with django_assert_num_queries(6):
        again = peer.terminal(fields())
    assert (again.code, again.authcode, again.date) == (0, first.authcode, first.date)
    _credited_once(Payment.objects.get())


def test_card_capture_statements(
    peer, company, client_user, make_payment, django_assert_num_queries
):
    payment = make_payment(gateway_payment_id="gw-1", status=PaymentStatus.AUTHORIZED)
    captured = event(
        "payment.captured",
        {
            "payment_id": "gw-1",
            "order_id": str(payment.pk),
            "status": "captured",
            "amount": "1500.00",
            "captured_amount": "1500.00",
            "refunded_amount": "0.00",
            "currency": "RUB",
            "capture_before": None,
            "updated_at": "2026-12-04T10:00:00Z",
        },
    )
    with django_assert_num_queries(CARD_CAPTURED):
        reply = peer.notify(captured)
    assert (reply.status, reply.json, reply.trusted) == (200, {"received": True}, True)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    _credited_once(payment)
    request = GatewayMessage.objects.get(kind=MessageKind.NOTIFY)
    assert (request.event_id, request.outcome, request.note) == (
        captured["event_id"],
        "applied",
        "captured",
    )
    # ratelimit; SAVEPOINT; payment (locked); event seen?; 2 messages; RELEASE
    with django_assert_num_queries(7):
        repeat = peer.notify(captured)
    assert (repeat.status, repeat.json) == (200, {"received": True})
    _credited_once(payment)
    assert GatewayMessage.objects.filter(kind=MessageKind.NOTIFY, outcome="duplicate").count() == 1


def test_osmp_pay_statements(osmp, company, client_user, django_assert_num_queries):
    with django_assert_num_queries(OSMP_PAY):
        got = answer(agent(pay()))
    assert (got["result"], got["comment"]) == ("0", "OK")
    _credited_once(Payment.objects.get())


@pytest.fixture
def yk_paid(settings, company):
    standin = YooKassaStandIn(SHOP, SECRET).start()
    settings.KABINET_PAYMENT_PROVIDERS = ["yookassa"]
    settings.KABINET_YOOKASSA_SHOP_ID = SHOP
    settings.KABINET_YOOKASSA_SECRET_KEY = SECRET
    settings.KABINET_YOOKASSA_API_URL = standin.url
    settings.KABINET_YOOKASSA_ALLOWED_IPS = []
    settings.KABINET_GATEWAY_TIMEOUT = 3
    payment = Payment.objects.create(
        client=company,
        channel=Channel.CARD,
        provider="yookassa",
        method="card",
        status=PaymentStatus.PENDING,
        amount=Decimal("700.00"),
        gateway_payment_id=str(uuid.uuid4()),
    )
    standin.add_paid(payment.gateway_payment_id, str(payment.pk), "700.00")
    yield payment
    standin.stop()


def test_yookassa_succeeded_statements(yk_paid, client_user, django_assert_num_queries):
    body = json.dumps(
        {
            "type": "notification",
            "event": "payment.succeeded",
            "object": {"id": yk_paid.gateway_payment_id},
        }
    ).encode()
    with django_assert_num_queries(YOOKASSA_SUCCEEDED):
        response = HttpClient(REMOTE_ADDR="127.0.0.1").post(
            "/pay/yookassa/notify/", body, content_type="application/json"
        )
    assert response.status_code == 200
    yk_paid.refresh_from_db()
    assert yk_paid.status == PaymentStatus.CAPTURED
    assert yk_paid.last_synced_at is not None  # stored with the capture, in the same write
    _credited_once(yk_paid)
    message = GatewayMessage.objects.get(kind=MessageKind.PROVIDER_NOTIFY)
    assert (message.outcome, message.payment) == ("applied", yk_paid)


def test_the_receipt_email_is_sent_once_the_payment_commits(
    peer, company, client_user, monkeypatch
):
    """The e-mail waits for the payment's transaction: when it goes, everything the request
    wrote is there, the answer's message (its last write) included."""
    seen = []
    send = EmailMultiAlternatives.send

    def send_and_look(self, *args, **kwargs):
        seen.append(
            (
                GatewayMessage.objects.filter(kind=MessageKind.TERMINAL_RESPONSE).count(),
                LedgerEntry.objects.count(),
                connection.in_atomic_block and len(connection.savepoint_ids),
            )
        )
        return send(self, *args, **kwargs)

    monkeypatch.setattr(EmailMultiAlternatives, "send", send_and_look)
    reply = peer.terminal(fields())
    assert reply.code == 0
    notice = Notification.objects.get(user=client_user)
    assert notice.email_status == EmailStatus.SENT
    assert [m.to for m in mail.outbox] == [[client_user.email]]
    # Sent after the request's transaction (a savepoint here) was released: only the
    # e-mail's own savepoint is open.
    assert seen == [(1, 1, 1)]


def test_a_failed_payment_sends_no_email(
    peer, company, client_user, monkeypatch, django_capture_on_commit_callbacks
):
    from kabinet.payments import state

    def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(state, "_ledger_credit", broken)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        reply = peer.terminal(fields())
    assert reply.code == 10
    assert callbacks == []
    assert mail.outbox == []
    assert not Notification.objects.exists()
    assert not Payment.objects.exists()
    request = GatewayMessage.objects.get(kind=MessageKind.TERMINAL)
    assert (request.outcome, request.payment) == ("code 10", None)

"""The card protocol's notifications: applied once, never backwards, mismatches refused."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connections

from kabinet.exchange.models import OutboxRecord
from kabinet.notifications.models import Notification
from kabinet.payments.models import GatewayMessage, LedgerEntry, MessageKind, PaymentStatus
from kabinet.payments.selectors import client_balance, client_held_amount

from .helpers import money_state
from .peer import event

pytestmark = pytest.mark.django_db


def _capture_at_gateway(gateway, payment, amount=None):
    p = gateway.payments[payment.gateway_payment_id]
    p["status"], p["captured"] = "captured", Decimal(amount or payment.amount)
    return event("payment.captured", gateway.object(payment.gateway_payment_id))


def test_authorized_event_holds_the_money_without_crediting(held_payment, company, peer, gateway):
    payment = held_payment("1500.00")
    assert payment.status == PaymentStatus.AUTHORIZED
    assert payment.moneyback_until == payment.authorized_at + timedelta(hours=3)
    assert payment.capture_before is not None
    assert client_held_amount(client=company) == Decimal("1500.00")
    assert client_balance(client=company) == Decimal("0.00")
    assert not OutboxRecord.objects.filter(type="payment.captured").exists()


def test_captured_event_credits_the_balance_and_exports_once(held_payment, company, peer, gateway):
    payment = held_payment("1500.00")
    reply = peer.notify(_capture_at_gateway(gateway, payment))
    assert (reply.status, reply.json) == (200, {"received": True})
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    assert payment.captured_amount == Decimal("1500.00")
    assert client_balance(client=company) == Decimal("1500.00")
    record = OutboxRecord.objects.get(type="payment.captured")
    assert record.data == {
        "contract": "100001",
        "payment_id": str(payment.pk),
        "amount": "1500.00",
        "channel": "card",
        "captured_at": payment.captured_at.astimezone(__import__("datetime").UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        ),
        "provider": "kabinet",
    }


def test_late_authorized_after_captured_is_recorded_and_ignored(held_payment, peer, gateway):
    payment = held_payment()
    late = event("payment.authorized", gateway.object(payment.gateway_payment_id))
    peer.notify(_capture_at_gateway(gateway, payment))
    before = money_state()
    reply = peer.notify(late)
    assert (reply.status, reply.json) == (200, {"received": True})
    assert money_state() == before
    stored = GatewayMessage.objects.get(kind=MessageKind.NOTIFY, reference=late["event_id"])
    assert stored.outcome == "ignored"
    assert stored.payment_id == payment.pk


def test_captured_before_authorized_still_ends_captured(start_payment, peer, gateway, company):
    payment = start_payment()
    authorized = gateway.authorize(payment.gateway_payment_id)
    captured = _capture_at_gateway(gateway, payment)
    assert peer.notify(captured).status == 200
    assert peer.notify(authorized).status == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    assert client_balance(client=company) == Decimal("1500.00")
    assert LedgerEntry.objects.count() == 1


def test_refund_event_before_capture_event_applies_both(held_payment, peer, gateway, company):
    payment = held_payment("1000.00")
    captured = _capture_at_gateway(gateway, payment)
    gateway.payments[payment.gateway_payment_id]["refunded"] = Decimal("400.00")
    refunded = event("payment.refunded", gateway.object(payment.gateway_payment_id))
    assert peer.notify(refunded).status == 200
    assert peer.notify(captured).status == 200
    payment.refresh_from_db()
    assert (payment.status, payment.captured_amount, payment.refunded_amount) == (
        PaymentStatus.CAPTURED,
        Decimal("1000.00"),
        Decimal("400.00"),
    )
    assert client_balance(client=company) == Decimal("600.00")
    assert [r.type for r in OutboxRecord.objects.filter(type__startswith="payment.")] == [
        "payment.captured",
        "payment.refunded",
    ]


def test_duplicate_event_id_answers_200_and_changes_nothing(held_payment, peer, gateway):
    payment = held_payment()
    captured = _capture_at_gateway(gateway, payment)
    peer.notify(captured)
    before = money_state()
    reply = peer.notify(captured)
    assert (reply.status, reply.json) == (200, {"received": True})
    assert money_state() == before
    assert GatewayMessage.objects.filter(reference=captured["event_id"]).count() == 2
    assert GatewayMessage.objects.get(event_id=captured["event_id"]).outcome == "applied"


@pytest.mark.parametrize(
    ("field", "value", "why"),
    [
        ("amount", "15000.00", "amount 15000.00 ≠ 1500.00"),
        ("currency", "USD", "currency 'USD' ≠ RUB"),
        ("payment_id", "gw-someone-else", "payment_id 'gw-someone-else'"),
    ],
)
def test_mismatched_event_is_refused_flagged_and_credits_nothing(
    held_payment, peer, gateway, manager, field, value, why
):
    payment = held_payment()
    captured = _capture_at_gateway(gateway, payment)
    captured["payment"][field] = value
    Notification.objects.all().delete()
    reply = peer.notify(captured)
    assert reply.status == 409
    assert reply.json["error"] == "mismatch"
    assert why in reply.json["message"]
    assert reply.trusted
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AUTHORIZED
    assert payment.flagged
    assert why in payment.flag_reason
    assert not LedgerEntry.objects.exists()
    assert not OutboxRecord.objects.filter(type="payment.captured").exists()
    notice = Notification.objects.get(user=manager)
    assert notice.title == f"Payment {payment.short_id} of contract 100001 needs attention"


def test_event_with_another_payments_order_id_is_refused(held_payment, peer, gateway, company):
    first = held_payment("1500.00")
    second = held_payment("700.00")
    captured = _capture_at_gateway(gateway, first)
    captured["payment"]["order_id"] = str(second.pk)
    reply = peer.notify(captured)
    assert reply.status == 409
    second.refresh_from_db()
    assert second.flagged and second.status == PaymentStatus.AUTHORIZED
    assert client_balance(client=company) == Decimal("0.00")


def test_event_for_unknown_payment_is_refused(peer, gateway, company):
    import uuid

    obj = {
        "payment_id": "gw-x",
        "order_id": str(uuid.uuid4()),
        "status": "captured",
        "amount": "10.00",
        "captured_amount": "10.00",
        "refunded_amount": "0.00",
        "currency": "RUB",
        "capture_before": None,
        "updated_at": "2026-01-01T00:00:00Z",
    }
    before = money_state()
    reply = peer.notify(event("payment.captured", obj))
    assert (reply.status, reply.json["error"]) == (409, "unknown_payment")
    assert money_state() == before


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[]",
        b'{"event_id": "e1", "type": "payment.stolen", "payment": {}}',
        b'{"event_id": "", "type": "payment.captured", "payment": {}}',
        b'{"event_id": "e1", "type": "payment.captured", "payment": {"amount": 5}}',
    ],
)
def test_signed_but_malformed_event_is_refused(peer, held_payment, body):
    held_payment()
    before = money_state()
    reply = peer.send("POST", "/pay/notify/", body)
    assert reply.status == 400
    assert reply.trusted
    assert money_state() == before


def test_declined_and_expired_events_close_the_payment(
    start_payment, held_payment, peer, gateway, manager, company
):
    declined = start_payment()
    peer.notify(gateway.decline(declined.gateway_payment_id))
    declined.refresh_from_db()
    assert declined.status == PaymentStatus.DECLINED
    held = held_payment()
    Notification.objects.all().delete()
    peer.notify(gateway.expire(held.gateway_payment_id))
    held.refresh_from_db()
    assert held.status == PaymentStatus.EXPIRED
    assert client_held_amount(client=company) == Decimal("0.00")
    assert Notification.objects.get(user=manager).title.startswith("Hold of 1,500.00\xa0₽")


def test_a_payment_never_moves_backwards(held_payment, peer, gateway):
    payment = held_payment()
    peer.notify(gateway.decline(payment.gateway_payment_id))  # declined after authorized
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AUTHORIZED
    assert payment.flagged  # the gateway contradicts itself: a manager looks


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_notifications_apply_once(
    make_client, manager, gateway, gateway_key, site_public
):
    from django.test import Client as HttpClient

    from kabinet.payments.services import payment_start_card

    from .peer import SitePeer

    company = make_client("100001", manager=manager)
    payment = payment_start_card(client=company, amount=Decimal("2500.00"))
    gateway.authorize(payment.gateway_payment_id)
    captured = _capture_at_gateway(gateway, payment)
    replies, errors = [], []

    def deliver():
        try:
            replies.append(SitePeer(HttpClient(), gateway_key, site_public).notify(captured))
        except Exception as exc:  # surfaced below: a thread must not fail silently
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(r.status for r in replies) == [200] * 12
    assert all(r.trusted for r in replies)
    assert client_balance(client=company) == Decimal("2500.00")
    assert LedgerEntry.objects.count() == 1
    assert OutboxRecord.objects.filter(type="payment.captured").count() == 1
    assert GatewayMessage.objects.filter(event_id=captured["event_id"]).count() == 1
    assert GatewayMessage.objects.filter(reference=captured["event_id"]).count() == 12

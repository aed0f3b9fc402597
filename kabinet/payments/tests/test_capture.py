"""Automatic capture when the money-back window ends; alerts for holds about to lapse."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kabinet.core.scheduler import jobs
from kabinet.exchange.models import OutboxRecord
from kabinet.notifications.models import Notification
from kabinet.payments.models import GatewayOperation, LedgerEntry, PaymentStatus
from kabinet.payments.selectors import client_balance, client_held_amount
from kabinet.payments.tasks import capture_due_payments

pytestmark = pytest.mark.django_db


def later(hours: float) -> str:
    return (timezone.now() + timedelta(hours=hours)).isoformat()


def test_capture_job_is_scheduled():
    assert any(job.task == "kabinet.payments.tasks.capture_due_payments" for job in jobs())


def test_nothing_is_captured_inside_the_window(held_payment, gateway, company):
    payment = held_payment()
    capture_due_payments.enqueue(now=later(2.9))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AUTHORIZED
    assert gateway.calls("POST", "/capture") == []


def test_window_end_captures_once_even_when_the_task_runs_twice(held_payment, gateway, company):
    payment = held_payment("1500.00")
    capture_due_payments.enqueue(now=later(3.1))
    capture_due_payments.enqueue(now=later(3.2))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    assert client_balance(client=company) == Decimal("1500.00")
    assert client_held_amount(client=company) == Decimal("0.00")
    assert OutboxRecord.objects.filter(type="payment.captured").count() == 1
    assert len(gateway.calls("POST", "/capture")) == 1
    assert gateway.payments[payment.gateway_payment_id]["status"] == "captured"


def test_lost_answer_is_retried_with_the_same_key_and_captures_once(held_payment, gateway, company):
    payment = held_payment("1500.00")
    gateway.mode = "forged"  # the gateway captures, but its answer cannot be trusted
    capture_due_payments.enqueue(now=later(3.1))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AUTHORIZED
    assert gateway.payments[payment.gateway_payment_id]["status"] == "captured"
    gateway.mode = "ok"
    capture_due_payments.enqueue(now=later(3.2))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    calls = gateway.calls("POST", "/capture")
    keys = {c["headers"]["Idempotency-Key"] for c in calls}
    assert len(calls) == 2 and len(keys) == 1
    assert keys == {str(GatewayOperation.objects.get(kind="capture").key)}
    assert {c["body"] for c in calls} == {b'{"amount":"1500.00"}'}
    assert LedgerEntry.objects.count() == 1
    assert OutboxRecord.objects.filter(type="payment.captured").count() == 1


def test_capture_happens_before_the_hold_lapses(held_payment, gateway, settings):
    settings.KABINET_MONEYBACK_HOURS = 100  # longer than the 3-day hold
    payment = held_payment()
    assert payment.moneyback_until < payment.capture_before
    assert payment.moneyback_until == payment.capture_before - timedelta(minutes=15)


def test_gateway_down_leaves_the_hold_and_alerts_managers_once(
    held_payment, gateway, manager, company
):
    payment = held_payment()
    Notification.objects.all().delete()
    gateway.mode = "drop"
    capture_due_payments.enqueue(now=later(59))  # 13 h of the 3-day hold left
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AUTHORIZED
    assert Notification.objects.count() == 0
    capture_due_payments.enqueue(now=later(61))  # under 12 h left
    capture_due_payments.enqueue(now=later(62))
    notice = Notification.objects.get()
    assert notice.user == manager
    assert notice.title == f"Hold {payment.short_id} of contract 100001 is not captured yet"
    assert client_balance(client=company) == Decimal("0.00")


def test_capture_refused_because_the_hold_expired_ends_expired(held_payment, gateway, company):
    payment = held_payment()
    gateway.payments[payment.gateway_payment_id]["status"] = "expired"
    capture_due_payments.enqueue(now=later(3.1))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.EXPIRED
    assert client_balance(client=company) == Decimal("0.00")
    assert GatewayOperation.objects.get(kind="capture").state == "refused"


def test_silent_pending_payments_are_asked_about(start_payment, gateway):
    payment = start_payment()
    gateway.authorize(payment.gateway_payment_id)
    capture_due_payments.enqueue(now=later(0.5))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AUTHORIZED


def test_gateway_failure_keeps_the_capture_open_for_the_next_run(held_payment, gateway, company):
    payment = held_payment()
    real = gateway.handle
    gateway.handle = lambda *args: (500, b'{"error": "internal_error"}')
    capture_due_payments.enqueue(now=later(3.1))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AUTHORIZED
    assert GatewayOperation.objects.get(kind="capture").state == "pending"
    gateway.handle = real
    capture_due_payments.enqueue(now=later(3.2))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    assert client_balance(client=company) == Decimal("1500.00")
    assert len({c["headers"]["Idempotency-Key"] for c in gateway.calls("POST", "/capture")}) == 1

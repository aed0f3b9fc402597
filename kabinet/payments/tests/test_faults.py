"""Faults in the middle of money: the database connection drops while a notification is
being applied; the worker is killed while automatic capture waits for the gateway.

Both are the real thing. The connection is broken from outside while the handler is
inside its transaction (PostgreSQL: ``pg_terminate_backend`` from another connection;
SQLite: the driver's connection is closed under Django). The worker is a real
``manage.py db_worker`` process that gets SIGKILL while its capture call is in flight.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from kabinet.core.tests.processes import database_url, manage
from kabinet.exchange.models import OutboxRecord
from kabinet.payments import state
from kabinet.payments.models import (
    GatewayMessage,
    GatewayOperation,
    LedgerEntry,
    MessageKind,
    OperationState,
    Payment,
    PaymentStatus,
)
from kabinet.payments.selectors import client_balance

from .peer import event

ROOT = Path(settings.BASE_DIR)


def _break_connection() -> None:
    """Drop this process's database connection from outside, mid-transaction."""
    if connection.vendor == "postgresql":
        pid = connection.connection.info.backend_pid
        s = connection.settings_dict
        with psycopg.connect(
            host=s["HOST"] or "127.0.0.1",
            port=s["PORT"] or 5432,
            user=s["USER"],
            password=s["PASSWORD"] or None,
            dbname=s["NAME"],
            autocommit=True,
        ) as other:
            assert other.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone() == (True,)
    else:
        connection.connection.close()


def _captured_event(gateway, payment) -> dict:
    p = gateway.payments[payment.gateway_payment_id]
    p["status"], p["captured"] = "captured", payment.amount
    return event("payment.captured", gateway.object(payment.gateway_payment_id))


@pytest.mark.django_db(transaction=True)
def test_connection_lost_mid_notification_applies_nothing_and_the_retry_applies_once(
    held_payment, gateway, peer, company, monkeypatch
):
    payment = held_payment("1500.00")
    captured = _captured_event(gateway, payment)
    body = json.dumps(captured).encode()
    stamp = int(time.time())  # the same signed request both times, as the gateway resends it

    real_post_capture = state.post_capture
    broken = []

    def post_capture_then_lose_the_database(payment, **kwargs):
        real_post_capture(payment, **kwargs)  # the ledger credit is written in the transaction
        broken.append(True)
        _break_connection()

    monkeypatch.setattr(state, "post_capture", post_capture_then_lose_the_database)
    first = peer.send("POST", "/pay/notify/", body, timestamp=stamp)
    monkeypatch.setattr(state, "post_capture", real_post_capture)

    assert broken == [True]
    assert first.status == 503
    assert first.json == {"error": "retry", "message": "internal error, retry later"}
    assert first.trusted  # signed: the gateway knows it is the website asking for a retry
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AUTHORIZED
    assert payment.captured_amount == Decimal("0.00")
    assert LedgerEntry.objects.count() == 0
    assert not OutboxRecord.objects.filter(type="payment.captured").exists()
    stored = GatewayMessage.objects.get(kind=MessageKind.NOTIFY, reference=captured["event_id"])
    assert stored.event_id is None  # not recorded as applied, so the retry is not a duplicate

    retry = peer.send("POST", "/pay/notify/", body, timestamp=stamp)
    again = peer.send("POST", "/pay/notify/", body, timestamp=stamp)

    assert (retry.status, retry.json) == (200, {"received": True})
    assert (again.status, again.json) == (200, {"received": True})
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    assert payment.captured_amount == Decimal("1500.00")
    assert list(LedgerEntry.objects.values_list("amount", flat=True)) == [Decimal("1500.00")]
    assert OutboxRecord.objects.filter(type="payment.captured").count() == 1
    assert client_balance(client=company) == Decimal("1500.00")
    outcomes = list(
        GatewayMessage.objects.filter(kind=MessageKind.NOTIFY, reference=captured["event_id"])
        .order_by("id")
        .values_list("outcome", flat=True)
    )
    assert outcomes == ["", "applied", "duplicate"]


# --- the worker killed during automatic capture ------------------------------------------


def _run(env: dict[str, str], *args: str) -> str:
    process = manage(env, *args)
    out, _ = process.communicate(timeout=120)
    assert process.returncode == 0, out
    return out


ENQUEUE = "from kabinet.payments.tasks import capture_due_payments; capture_due_payments.enqueue()"


@pytest.mark.django_db(transaction=True)
def test_worker_killed_during_capture_captures_once_after_restart(
    held_payment, gateway, company, settings, tmp_path
):
    payment = held_payment("1500.00")
    Payment.objects.filter(pk=payment.pk).update(
        moneyback_until=timezone.now() - timedelta(minutes=1)
    )

    # The gateway takes the capture, then answers slowly: the worker dies waiting.
    in_flight, release = threading.Event(), threading.Event()
    real_handle = gateway.handle

    def slow_capture(method, path, key, body):
        answer = real_handle(method, path, key, body)
        if path.endswith("/capture") and not in_flight.is_set():
            in_flight.set()
            release.wait(30)
        return answer

    gateway.handle = slow_capture
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "DATABASE_URL": database_url(),
        "KABINET_TASKS_BACKEND": "db",
        "KABINET_VAR_DIR": str(tmp_path / "var"),
        "KABINET_SITE_PRIVATE_KEY": settings.KABINET_SITE_PRIVATE_KEY,
        "KABINET_GATEWAY_PUBLIC_KEYS": ",".join(settings.KABINET_GATEWAY_PUBLIC_KEYS),
        "KABINET_GATEWAY_URL": gateway.url,
        "KABINET_MERCHANT_ID": settings.KABINET_MERCHANT_ID,
        "KABINET_GATEWAY_TIMEOUT": "30",
    }
    _run(env, "shell", "-c", ENQUEUE)
    worker = manage(env, "db_worker", "--interval", "0.1", "--no-startup-delay")
    try:
        assert in_flight.wait(60), "the worker never called capture"
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
        release.set()
    assert worker.returncode == -signal.SIGKILL
    assert gateway.payments[payment.gateway_payment_id]["status"] == "captured"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AUTHORIZED  # the answer never reached the website
    assert LedgerEntry.objects.count() == 0
    operation = GatewayOperation.objects.get(kind="capture")
    assert (operation.state, operation.attempts) == (OperationState.PENDING, 1)

    # The scheduler queues the next run; a restarted worker takes it.
    gateway.handle = real_handle
    _run(env, "shell", "-c", ENQUEUE)
    worker = manage(env, "db_worker", "--interval", "0.1", "--no-startup-delay", "--batch")
    out, _ = worker.communicate(timeout=120)
    assert worker.returncode == 0, out

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    assert payment.captured_amount == Decimal("1500.00")
    calls = gateway.calls("POST", "/capture")
    assert len(calls) == 2
    assert {c["headers"]["Idempotency-Key"] for c in calls} == {str(operation.key)}
    assert {c["body"] for c in calls} == {b'{"amount":"1500.00"}'}
    assert gateway.payments[payment.gateway_payment_id]["captured"] == Decimal("1500.00")
    assert list(LedgerEntry.objects.values_list("amount", flat=True)) == [Decimal("1500.00")]
    assert OutboxRecord.objects.filter(type="payment.captured").count() == 1
    assert client_balance(client=company) == Decimal("1500.00")
    operation.refresh_from_db()
    assert (operation.state, operation.attempts) == (OperationState.DONE, 2)

import json
import sqlite3
import threading
from collections.abc import Callable

from paysim.notify import Outbox
from paysim.server import PaysimApp
from paysim.tests.conftest import ApiClient, AppFactory, wait_for
from paysim.tests.fakesite import Answer, FakeSite, Received, acknowledge

ClientFactory = Callable[[PaysimApp], ApiClient]
SiteFactory = Callable[..., FakeSite]


def _answers(*plan: str) -> Callable[[Received], Answer]:
    """Answer the first requests as planned ("ok", "500", "unsigned", "wrongkey", "nobody"),
    then acknowledge."""
    remaining = list(plan)
    lock = threading.Lock()

    def respond(request: Received) -> Answer:
        with lock:
            step = remaining.pop(0) if remaining else "ok"
        if step == "500":
            return 500, b'{"error": "down"}', "ok"
        if step == "unsigned":
            return 200, b'{"received": true}', "none"
        if step == "wrongkey":
            return 200, b'{"received": true}', "wrong"
        if step == "nobody":
            return 200, b'{"received": false}', "ok"
        return acknowledge(request)

    return respond


def _deliveries(app: PaysimApp) -> list[sqlite3.Row]:
    conn = sqlite3.connect(app.config.db_path)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute("SELECT * FROM deliveries ORDER BY id").fetchall()
    finally:
        conn.close()


def _delivered(app: PaysimApp, count: int = 1) -> bool:
    rows = _deliveries(app)
    return len(rows) >= count and all(r["state"] == "delivered" for r in rows)


def test_authorisation_is_notified_signed_with_the_spec_payload(
    make_app: AppFactory, make_client: ClientFactory, make_site: SiteFactory
) -> None:
    site = make_site()
    app = make_app()
    client = make_client(app)
    payment_id = client.create(notify_url=f"{site.url}/pay/notify/?v=1")

    client.pay(payment_id)

    assert wait_for(lambda: _delivered(app))
    [request] = site.received
    assert request.signature_error is None
    assert request.path == "/pay/notify/?v=1"
    event = request.json()
    assert set(event) == {"event_id", "type", "payment", "occurred_at"}
    assert event["type"] == "payment.authorized"
    assert event["payment"] == client.get(payment_id)
    assert event["occurred_at"].endswith("Z")


def test_every_state_change_is_notified_in_order(
    make_app: AppFactory, make_client: ClientFactory, make_site: SiteFactory
) -> None:
    site = make_site()
    app = make_app()
    client = make_client(app)
    payment_id = client.create(notify_url=f"{site.url}/n")
    client.pay(payment_id)
    client.call("POST", f"/api/v1/payments/{payment_id}/capture", {"amount": "1500.00"})
    client.call(
        "POST", f"/api/v1/payments/{payment_id}/refund", {"amount": "500.00", "reason": "r"}
    )

    assert wait_for(lambda: _delivered(app, 3))
    events = site.events()
    assert [e["type"] for e in events] == [
        "payment.authorized",
        "payment.captured",
        "payment.refunded",
    ]
    assert events[2]["payment"]["refunded_amount"] == "500.00"
    assert len({e["event_id"] for e in events}) == 3


def test_decline_is_notified(
    make_app: AppFactory, make_client: ClientFactory, make_site: SiteFactory
) -> None:
    site = make_site()
    app = make_app()
    client = make_client(app)
    client.pay(client.create(notify_url=f"{site.url}/n"), "4000 0000 0000 0002")

    assert wait_for(lambda: _delivered(app))
    assert [e["type"] for e in site.events()] == ["payment.declined"]


def test_failed_delivery_is_retried_with_the_same_event(
    make_app: AppFactory, make_client: ClientFactory, make_site: SiteFactory
) -> None:
    site = make_site(_answers("500", "500"))
    app = make_app()
    client = make_client(app)
    client.pay(client.create(notify_url=f"{site.url}/n"))

    assert wait_for(lambda: _delivered(app))
    [delivery] = _deliveries(app)
    assert delivery["attempts"] == 3
    bodies = [r.body for r in site.received]
    assert len(bodies) == 3 and len(set(bodies)) == 1
    assert all(r.signature_error is None for r in site.received)


def test_unsigned_or_badly_signed_or_unacknowledging_answer_counts_as_no_answer(
    make_app: AppFactory, make_client: ClientFactory, make_site: SiteFactory
) -> None:
    site = make_site(_answers("unsigned", "wrongkey", "nobody"))
    app = make_app()
    client = make_client(app)
    client.pay(client.create(notify_url=f"{site.url}/n"))

    assert wait_for(lambda: _delivered(app))
    [delivery] = _deliveries(app)
    assert delivery["attempts"] == 4
    assert len(site.received) == 4


def test_unreachable_website_keeps_the_delivery_pending_with_the_error(
    make_app: AppFactory, make_client: ClientFactory
) -> None:
    app = make_app()
    client = make_client(app)
    client.pay(client.create(notify_url="http://127.0.0.1:9/n"))

    assert wait_for(lambda: _deliveries(app) and _deliveries(app)[0]["attempts"] >= 2)
    [delivery] = _deliveries(app)
    assert delivery["state"] == "pending"
    assert delivery["last_error"].startswith("network")


def test_pending_delivery_survives_a_restart(
    make_app: AppFactory, make_client: ClientFactory, make_site: SiteFactory
) -> None:
    site = make_site(_answers(*["500"] * 1000))
    first = make_app(retry_schedule=(60.0,))
    client = make_client(first)
    client.pay(client.create(notify_url=f"{site.url}/n"))
    assert wait_for(lambda: _deliveries(first)[0]["attempts"] == 1)
    first.stop()
    site.responder = acknowledge
    conn = sqlite3.connect(first.config.db_path)
    with conn:  # pretend the next retry is due already instead of waiting a minute
        conn.execute("UPDATE deliveries SET next_attempt_at = 0")
    conn.close()

    second = make_app()

    assert wait_for(lambda: _delivered(second))
    [delivery] = _deliveries(second)
    assert delivery["attempts"] == 2
    events = site.events()
    assert [e["type"] for e in events] == ["payment.authorized"] * 2
    assert events[0] == events[1]


def test_chaos_duplicate_sends_each_event_twice(
    make_app: AppFactory, make_client: ClientFactory, make_site: SiteFactory
) -> None:
    site = make_site()
    outbox = Outbox(chaos=frozenset({"duplicate"}), duplicate_gap=0.1)
    app = make_app(outbox=outbox)
    client = make_client(app)
    client.pay(client.create(notify_url=f"{site.url}/n"))

    assert wait_for(lambda: _delivered(app, 2))
    events = site.events()
    assert len(events) == 2 and events[0] == events[1]


def test_chaos_reorder_sends_later_events_first(
    make_app: AppFactory, make_client: ClientFactory, make_site: SiteFactory
) -> None:
    site = make_site()
    outbox = Outbox(chaos=frozenset({"reorder"}), reorder_hold=0.5, reorder_gap=0.2)
    app = make_app(outbox=outbox)
    client = make_client(app)
    payment_id = client.create(notify_url=f"{site.url}/n")
    client.pay(payment_id)
    client.call("POST", f"/api/v1/payments/{payment_id}/capture", {"amount": "1500.00"})

    assert wait_for(lambda: _delivered(app, 2))
    assert [e["type"] for e in site.events()] == ["payment.captured", "payment.authorized"]


def test_chaos_delay_holds_the_first_send_between_1_and_5_seconds(
    make_app: AppFactory, make_client: ClientFactory
) -> None:
    app = make_app(chaos=frozenset({"delay"}))
    client = make_client(app)
    client.pay(client.create(notify_url="http://127.0.0.1:9/n"))

    [delivery] = _deliveries(app)
    assert 1.0 <= delivery["next_attempt_at"] - delivery["created_at"] <= 5.0
    assert delivery["attempts"] == 0


def test_notification_body_is_stored_for_the_overview(
    make_app: AppFactory, make_client: ClientFactory
) -> None:
    app = make_app()
    client = make_client(app)
    payment_id = client.create(notify_url="http://127.0.0.1:9/n")
    client.pay(payment_id)

    conn = sqlite3.connect(app.config.db_path)
    try:
        [(body,)] = conn.execute("SELECT body FROM events").fetchall()
    finally:
        conn.close()
    assert json.loads(body)["payment"]["payment_id"] == payment_id

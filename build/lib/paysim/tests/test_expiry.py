import sqlite3
from collections.abc import Callable

from paysim.server import PaysimApp
from paysim.tests.conftest import ApiClient, AppFactory, FakeClock, wait_for

ClientFactory = Callable[[PaysimApp], ApiClient]
HOLD = 600


def _event_types(app: PaysimApp) -> list[str]:
    conn = sqlite3.connect(app.config.db_path)
    try:
        return [row[0] for row in conn.execute("SELECT type FROM events ORDER BY rowid")]
    finally:
        conn.close()


def test_sweeper_expires_a_lapsed_hold_and_notifies(
    make_app: AppFactory, make_client: ClientFactory, clock: FakeClock
) -> None:
    app = make_app(hold_seconds=HOLD, clock=clock, sweep_interval=0.02)
    client = make_client(app)
    payment_id = client.create()
    client.pay(payment_id)

    clock.advance(HOLD)  # exactly at capture_before the hold still stands
    assert app.gateway.expire_due() == 0
    clock.advance(1)

    assert wait_for(lambda: client.get(payment_id)["status"] == "expired")
    assert _event_types(app) == ["payment.authorized", "payment.expired"]


def test_capture_at_capture_before_still_succeeds(
    make_app: AppFactory, make_client: ClientFactory, clock: FakeClock
) -> None:
    app = make_app(hold_seconds=HOLD, clock=clock, sweep_interval=60)
    client = make_client(app)
    payment_id = client.create()
    client.pay(payment_id)
    clock.advance(HOLD)

    result = client.call("POST", f"/api/v1/payments/{payment_id}/capture", {"amount": "1.00"})

    assert result.status == 200
    assert result.json["status"] == "captured"


def test_capture_after_the_hold_lapsed_is_409_and_expires_it(
    make_app: AppFactory, make_client: ClientFactory, clock: FakeClock
) -> None:
    # The sweeper is slowed down so the API itself must notice the lapsed hold.
    app = make_app(hold_seconds=HOLD, clock=clock, sweep_interval=60)
    client = make_client(app)
    payment_id = client.create()
    client.pay(payment_id)
    clock.advance(HOLD + 1)

    result = client.call("POST", f"/api/v1/payments/{payment_id}/capture", {"amount": "1.00"})

    assert result.status == 409
    assert result.json["status"] == "expired"
    assert client.get(payment_id)["captured_amount"] == "0.00"
    assert _event_types(app) == ["payment.authorized", "payment.expired"]


def test_void_after_the_hold_lapsed_is_409(
    make_app: AppFactory, make_client: ClientFactory, clock: FakeClock
) -> None:
    app = make_app(hold_seconds=HOLD, clock=clock, sweep_interval=60)
    client = make_client(app)
    payment_id = client.create()
    client.pay(payment_id)
    clock.advance(HOLD + 1)

    result = client.call("POST", f"/api/v1/payments/{payment_id}/void", {"reason": "late"})

    assert result.status == 409
    assert client.get(payment_id)["status"] == "expired"


def test_only_authorized_payments_expire(
    make_app: AppFactory, make_client: ClientFactory, clock: FakeClock
) -> None:
    app = make_app(hold_seconds=HOLD, clock=clock, sweep_interval=60)
    client = make_client(app)
    pending = client.create()
    captured = client.create()
    client.pay(captured)
    client.call("POST", f"/api/v1/payments/{captured}/capture", {"amount": "1500.00"})
    clock.advance(HOLD * 10)

    assert app.gateway.expire_due() == 0
    assert client.get(pending)["status"] == "pending"
    assert client.get(captured)["status"] == "captured"


def test_hold_expires_in_real_time_with_a_one_second_hold(
    make_app: AppFactory, make_client: ClientFactory
) -> None:
    app = make_app(hold_seconds=1, sweep_interval=0.1)
    client = make_client(app)
    payment_id = client.create()
    client.pay(payment_id)

    assert client.get(payment_id)["status"] == "authorized"
    assert wait_for(lambda: _event_types(app)[-1] == "payment.expired", timeout=4)
    assert client.get(payment_id)["status"] == "expired"

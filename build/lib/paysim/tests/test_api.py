import json
import sqlite3
import uuid
from collections.abc import Callable

import pytest

from paysim.httpclient import send
from paysim.server import PaysimApp
from paysim.signing import HEADER_SIGNATURE, SIGNATURE_HEADERS
from paysim.tests.conftest import MERCHANT, ApiClient, AppFactory, KeyPair, payment_request

ClientFactory = Callable[[PaysimApp], ApiClient]


@pytest.fixture
def app(make_app: AppFactory) -> PaysimApp:
    return make_app()


@pytest.fixture
def client(app: PaysimApp, make_client: ClientFactory) -> ApiClient:
    return make_client(app)


def _count(app: PaysimApp, table: str) -> int:
    conn = sqlite3.connect(app.config.db_path)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def _authorized(client: ApiClient) -> str:
    payment_id = client.create()
    assert client.pay(payment_id).status == 302
    return payment_id


def _captured(client: ApiClient, amount: str = "1500.00") -> str:
    payment_id = _authorized(client)
    result = client.call("POST", f"/api/v1/payments/{payment_id}/capture", {"amount": amount})
    assert result.status == 200, result.json
    return payment_id


def test_create_payment_answers_201_pending_with_payment_url(
    app: PaysimApp, client: ApiClient
) -> None:
    result = client.call("POST", "/api/v1/payments", payment_request())

    assert result.status == 201
    assert result.trusted
    payment_id = result.json["payment_id"]
    assert result.json == {
        "payment_id": payment_id,
        "status": "pending",
        "payment_url": f"{app.url}/pay/{payment_id}",
    }


def test_new_payment_object_has_exactly_the_spec_fields(client: ApiClient) -> None:
    request = payment_request(amount="1234.50")
    payment_id = client.call("POST", "/api/v1/payments", request).json["payment_id"]

    payment = client.get(payment_id)

    assert set(payment) == {
        "payment_id",
        "order_id",
        "status",
        "amount",
        "captured_amount",
        "refunded_amount",
        "currency",
        "capture_before",
        "updated_at",
    }
    assert payment["order_id"] == request["order_id"]
    assert payment["status"] == "pending"
    assert payment["amount"] == "1234.50"
    assert payment["captured_amount"] == "0.00"
    assert payment["refunded_amount"] == "0.00"
    assert payment["currency"] == "RUB"
    assert payment["capture_before"] is None
    assert payment["updated_at"].endswith("Z") and len(payment["updated_at"]) == 20


@pytest.mark.parametrize(
    "amount",
    [
        "1500",
        "1500.0",
        "1500.000",
        1500.0,
        1500,
        "-1.00",
        "0.00",
        "1e3",
        "1,500.00",
        " 1500.00",
        "01500.00",
        None,
    ],
)
def test_create_with_bad_amount_is_400_and_creates_nothing(
    app: PaysimApp, client: ApiClient, amount: object
) -> None:
    result = client.call("POST", "/api/v1/payments", payment_request(amount=amount))

    assert result.status == 400
    assert result.json["field"] == "amount"
    assert _count(app, "payments") == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("currency", "USD"),
        ("merchant_id", "someone-else"),
        ("order_id", "not-a-uuid"),
        ("account", ""),
        ("return_url", "/relative"),
        ("notify_url", "ftp://example.com/x"),
        ("description", None),
    ],
)
def test_create_with_bad_field_is_400(
    app: PaysimApp, client: ApiClient, field: str, value: object
) -> None:
    result = client.call("POST", "/api/v1/payments", payment_request() | {field: value})

    assert result.status == 400
    assert result.json["field"] == field
    assert _count(app, "payments") == 0


def test_create_with_non_json_body_is_400(app: PaysimApp, client: ApiClient) -> None:
    result = client.call("POST", "/api/v1/payments", ["not", "an", "object"])

    assert result.status == 400
    assert _count(app, "payments") == 0


def test_same_order_id_with_a_new_idempotency_key_is_409(client: ApiClient) -> None:
    request = payment_request()
    first = client.call("POST", "/api/v1/payments", request)

    second = client.call("POST", "/api/v1/payments", request)

    assert second.status == 409
    assert second.json["payment_id"] == first.json["payment_id"]


def test_same_idempotency_key_and_body_replays_the_first_answer(
    app: PaysimApp, client: ApiClient
) -> None:
    key = str(uuid.uuid4())
    request = payment_request()

    first = client.call("POST", "/api/v1/payments", request, idempotency_key=key)
    again = client.call("POST", "/api/v1/payments", request, idempotency_key=key)

    assert first.status == again.status == 201
    assert again.response.body == first.response.body
    assert again.trusted  # re-signed for the new request, not a stale signature
    assert _count(app, "payments") == 1


def test_same_idempotency_key_with_another_body_is_409(app: PaysimApp, client: ApiClient) -> None:
    key = str(uuid.uuid4())
    client.call("POST", "/api/v1/payments", payment_request(), idempotency_key=key)

    other = client.call("POST", "/api/v1/payments", payment_request(), idempotency_key=key)

    assert other.status == 409
    assert other.json["error"] == "idempotency_conflict"
    assert _count(app, "payments") == 1


def test_replayed_capture_captures_once(client: ApiClient) -> None:
    payment_id = _authorized(client)
    key = str(uuid.uuid4())
    path = f"/api/v1/payments/{payment_id}/capture"

    first = client.call("POST", path, {"amount": "1000.00"}, idempotency_key=key)
    again = client.call("POST", path, {"amount": "1000.00"}, idempotency_key=key)

    assert first.status == again.status == 200
    assert again.json == first.json
    assert client.get(payment_id)["captured_amount"] == "1000.00"


def test_idempotency_key_reused_on_another_endpoint_is_409(client: ApiClient) -> None:
    payment_id = _authorized(client)
    key = str(uuid.uuid4())
    client.call("POST", f"/api/v1/payments/{payment_id}/void", {"reason": "x"}, idempotency_key=key)

    other = client.call(
        "POST", f"/api/v1/payments/{payment_id}/capture", {"reason": "x"}, idempotency_key=key
    )

    assert other.status == 409
    assert client.get(payment_id)["status"] == "voided"


@pytest.mark.parametrize("key", [None, "", "not-a-uuid"])
def test_post_without_a_uuid_idempotency_key_is_400(
    app: PaysimApp, client: ApiClient, key: str | None
) -> None:
    result = client.call("POST", "/api/v1/payments", payment_request(), idempotency_key=key)

    assert result.status == 400
    assert result.json["error"].startswith("idempotency_key")
    assert _count(app, "payments") == 0


def test_unsigned_request_is_403_naming_the_missing_header(app: PaysimApp) -> None:
    body = json.dumps(payment_request()).encode()

    response = send(
        "POST",
        app.url + "/api/v1/payments",
        {"Idempotency-Key": str(uuid.uuid4()), "Content-Type": "application/json"},
        body,
        timeout=5,
    )

    assert response.status == 403
    assert json.loads(response.body)["check"] == "missing_header"
    assert _count(app, "payments") == 0


def test_request_signed_by_untrusted_key_is_403_unknown_key(
    app: PaysimApp, client: ApiClient, stranger_keys: KeyPair
) -> None:
    result = client.call("POST", "/api/v1/payments", payment_request(), signer=stranger_keys.signer)

    assert result.status == 403
    assert result.json["check"] == "unknown_key"
    assert result.trusted  # the refusal itself is signed and tied to the request
    assert _count(app, "payments") == 0


def test_request_with_tampered_body_is_403_bad_signature(
    app: PaysimApp, site_keys: KeyPair
) -> None:
    body = json.dumps(payment_request()).encode()
    headers = site_keys.signer.sign_request("POST", "/api/v1/payments", body)

    response = send(
        "POST",
        app.url + "/api/v1/payments",
        {**headers, "Idempotency-Key": str(uuid.uuid4())},
        body.replace(b"1500.00", b"1.00"),
        timeout=5,
    )

    assert response.status == 403
    assert json.loads(response.body)["check"] == "bad_signature"
    assert _count(app, "payments") == 0


def test_signature_covers_the_query_string(app: PaysimApp, site_keys: KeyPair) -> None:
    headers = site_keys.signer.sign_request("GET", "/api/v1/payments/x", b"")

    response = send("GET", app.url + "/api/v1/payments/x?y=1", headers, b"", timeout=5)

    assert response.status == 403
    assert json.loads(response.body)["check"] == "bad_signature"


def test_every_api_response_is_signed(client: ApiClient) -> None:
    result = client.call("GET", "/api/v1/payments/does-not-exist")

    assert result.status == 404
    assert result.trusted
    assert all(name in result.response.headers for name in SIGNATURE_HEADERS)


def test_full_card_lifecycle_capture_then_partial_and_final_refund(client: ApiClient) -> None:
    payment_id = _authorized(client)
    authorized = client.get(payment_id)
    assert authorized["status"] == "authorized"
    assert authorized["capture_before"] is not None

    captured = client.call(
        "POST", f"/api/v1/payments/{payment_id}/capture", {"amount": "1200.00"}
    ).json
    partial = client.call(
        "POST", f"/api/v1/payments/{payment_id}/refund", {"amount": "200.00", "reason": "a"}
    ).json
    final = client.call(
        "POST", f"/api/v1/payments/{payment_id}/refund", {"amount": "1000.00", "reason": "b"}
    ).json

    assert (captured["status"], captured["captured_amount"]) == ("captured", "1200.00")
    assert (partial["status"], partial["refunded_amount"]) == ("captured", "200.00")
    assert (final["status"], final["refunded_amount"]) == ("refunded", "1200.00")
    assert final["amount"] == "1500.00"


def test_void_of_authorized_payment(client: ApiClient) -> None:
    payment_id = _authorized(client)

    result = client.call("POST", f"/api/v1/payments/{payment_id}/void", {"reason": "money-back"})

    assert result.status == 200
    assert result.json["status"] == "voided"
    assert result.json["captured_amount"] == "0.00"


def test_capture_more_than_held_is_400_and_changes_nothing(client: ApiClient) -> None:
    payment_id = _authorized(client)

    result = client.call("POST", f"/api/v1/payments/{payment_id}/capture", {"amount": "1500.01"})

    assert result.status == 400
    assert client.get(payment_id)["status"] == "authorized"


def test_refund_more_than_captured_minus_refunded_is_400(client: ApiClient) -> None:
    payment_id = _captured(client, "1000.00")
    client.call(
        "POST", f"/api/v1/payments/{payment_id}/refund", {"amount": "600.00", "reason": "r"}
    )

    result = client.call(
        "POST", f"/api/v1/payments/{payment_id}/refund", {"amount": "400.01", "reason": "r"}
    )

    assert result.status == 400
    assert client.get(payment_id)["refunded_amount"] == "600.00"


@pytest.mark.parametrize("action", ["void", "refund"])
def test_void_and_refund_need_a_reason(client: ApiClient, action: str) -> None:
    payment_id = _captured(client) if action == "refund" else _authorized(client)

    result = client.call("POST", f"/api/v1/payments/{payment_id}/{action}", {"amount": "1.00"})

    assert result.status == 400
    assert result.json["field"] == "reason"


@pytest.mark.parametrize(
    ("state", "action", "body"),
    [
        ("pending", "capture", {"amount": "1.00"}),
        ("pending", "void", {"reason": "r"}),
        ("pending", "refund", {"amount": "1.00", "reason": "r"}),
        ("authorized", "refund", {"amount": "1.00", "reason": "r"}),
        ("declined", "capture", {"amount": "1.00"}),
        ("declined", "void", {"reason": "r"}),
        ("captured", "capture", {"amount": "1.00"}),
        ("captured", "void", {"reason": "r"}),
        ("voided", "capture", {"amount": "1.00"}),
        ("voided", "refund", {"amount": "1.00", "reason": "r"}),
        ("refunded", "refund", {"amount": "1.00", "reason": "r"}),
        ("refunded", "void", {"reason": "r"}),
    ],
)
def test_wrong_state_transition_is_409_and_changes_nothing(
    client: ApiClient, state: str, action: str, body: dict
) -> None:
    if state == "pending":
        payment_id = client.create()
    elif state == "declined":
        payment_id = client.create()
        client.pay(payment_id, "4000 0000 0000 0002")
    elif state == "authorized":
        payment_id = _authorized(client)
    elif state == "voided":
        payment_id = _authorized(client)
        client.call("POST", f"/api/v1/payments/{payment_id}/void", {"reason": "r"})
    else:
        payment_id = _captured(client)
        if state == "refunded":
            client.call(
                "POST",
                f"/api/v1/payments/{payment_id}/refund",
                {"amount": "1500.00", "reason": "r"},
            )
    before = client.get(payment_id)
    assert before["status"] == state

    result = client.call("POST", f"/api/v1/payments/{payment_id}/{action}", body)

    assert result.status == 409
    assert result.json["error"] == "invalid_state"
    assert result.json["status"] == state
    assert client.get(payment_id) == before


def test_unknown_payment_is_404(client: ApiClient) -> None:
    result = client.call("POST", "/api/v1/payments/nope/capture", {"amount": "1.00"})

    assert result.status == 404


def test_response_signature_uses_the_request_signature(
    app: PaysimApp, site_keys: KeyPair, gateway_keys: KeyPair
) -> None:
    headers = site_keys.signer.sign_request("GET", "/api/v1/payments/x", b"")

    response = send("GET", app.url + "/api/v1/payments/x", headers, b"", timeout=5)

    gateway_keys.verifier.verify_response(
        response.headers, headers[HEADER_SIGNATURE], response.body
    )


def test_healthz_answers_ok(app: PaysimApp) -> None:
    response = send("GET", app.url + "/healthz", {}, b"", timeout=5)

    assert (response.status, response.body) == (200, b"ok")


def test_overview_page_lists_payments(app: PaysimApp, client: ApiClient) -> None:
    payment_id = client.create()

    response = send("GET", app.url + "/", {}, b"", timeout=5)

    assert response.status == 200
    assert payment_id[:8].encode() in response.body
    assert MERCHANT.encode() in response.body

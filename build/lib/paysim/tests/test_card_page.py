import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from paysim.httpclient import send
from paysim.server import PaysimApp
from paysim.tests.conftest import MERCHANT, ApiClient, AppFactory, payment_request

HOLD = 7200


@pytest.fixture
def app(make_app: AppFactory) -> PaysimApp:
    return make_app(hold_seconds=HOLD)


@pytest.fixture
def client(app: PaysimApp, make_client: Callable[[PaysimApp], ApiClient]) -> ApiClient:
    return make_client(app)


def _form_post(app: PaysimApp, payment_id: str, form: str) -> tuple[int, bytes]:
    response = send(
        "POST",
        f"{app.url}/pay/{payment_id}",
        {"Content-Type": "application/x-www-form-urlencoded"},
        form.encode(),
        timeout=5,
    )
    return response.status, response.body


def test_card_page_shows_merchant_amount_description_and_card_fields(
    app: PaysimApp, client: ApiClient
) -> None:
    request = payment_request(amount="777.10", description="Contract 100001 <top-up>")
    result = client.call("POST", "/api/v1/payments", request)

    response = send("GET", result.json["payment_url"], {}, b"", timeout=5)

    assert response.status == 200
    page = response.body.decode()
    assert MERCHANT in page
    assert "777.10 RUB" in page
    assert "Contract 100001 &lt;top-up&gt;" in page
    for field in ("card_number", "expiry", "cvc", "holder"):
        assert f'name="{field}"' in page
    assert "4111 1111 1111 1111" in page and "Any other number is declined" in page


@pytest.mark.parametrize("card", ["4111 1111 1111 1111", "4111111111111111"])
def test_approving_test_card_authorises_and_redirects_to_return_url(
    client: ApiClient, card: str
) -> None:
    payment_id = client.create()
    before = int(time.time())

    response = client.pay(payment_id, card)

    assert response.status == 302
    assert response.headers["Location"] == payment_request()["return_url"]
    payment = client.get(payment_id)
    assert payment["status"] == "authorized"
    parsed = datetime.strptime(payment["capture_before"], "%Y-%m-%dT%H:%M:%SZ")
    capture_before = parsed.replace(tzinfo=UTC).timestamp()
    assert before + HOLD <= capture_before <= int(time.time()) + HOLD


@pytest.mark.parametrize("card", ["4000 0000 0000 0002", "5555 5555 5555 4444"])
def test_decline_card_and_unknown_cards_are_declined(client: ApiClient, card: str) -> None:
    payment_id = client.create()

    response = client.pay(payment_id, card)

    assert response.status == 302
    payment = client.get(payment_id)
    assert payment["status"] == "declined"
    assert payment["capture_before"] is None


def test_invalid_card_form_shows_errors_and_changes_nothing(
    app: PaysimApp, client: ApiClient
) -> None:
    payment_id = client.create()

    status, body = _form_post(app, payment_id, "card_number=4111&expiry=13%2F30&cvc=1")

    assert status == 400
    page = body.decode()
    assert "12 to 19 digits" in page and "MM/YY" in page and "CVC" in page
    assert client.get(payment_id)["status"] == "pending"


def test_second_submit_after_authorisation_changes_nothing(client: ApiClient) -> None:
    payment_id = client.create()
    client.pay(payment_id)
    first = client.get(payment_id)

    response = client.pay(payment_id, "4000 0000 0000 0002")

    assert response.status == 302
    assert client.get(payment_id) == first


def test_card_page_of_a_finished_payment_shows_its_outcome(
    app: PaysimApp, client: ApiClient
) -> None:
    payment_id = client.create()
    client.pay(payment_id, "4000000000000002")

    response = send("GET", f"{app.url}/pay/{payment_id}", {}, b"", timeout=5)

    assert response.status == 200
    assert b"Payment declined" in response.body
    assert b'name="card_number"' not in response.body


def test_card_page_of_unknown_payment_is_404(app: PaysimApp) -> None:
    assert send("GET", f"{app.url}/pay/nope", {}, b"", timeout=5).status == 404

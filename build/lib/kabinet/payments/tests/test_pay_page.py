"""/pay/ without login, the payer's status page, and the gateway being down."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from kabinet.payments.models import (
    GatewayMessage,
    GatewayOperation,
    Payment,
    PaymentStatus,
)

pytestmark = pytest.mark.django_db


def test_payment_link_opens_the_form_filled_in_with_the_masked_name(client, company):
    response = client.get("/pay/?contract=100001&amount=1500.00")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="100001"' in page and 'value="1500.00"' in page
    assert company.masked_name in page
    assert company.name not in page
    assert "*" in company.masked_name


def test_recipient_box_follows_the_typed_contract(client, company, make_client):
    make_client("100005", status="closed")
    assert company.masked_name in client.get("/pay/recipient/?contract=100001").content.decode()
    assert "closed" in client.get("/pay/recipient/?contract=100005").content.decode()
    assert "no contract" in client.get("/pay/recipient/?contract=999").content.decode()


def test_valid_post_creates_the_payment_and_redirects_to_the_gateway(client, company, gateway):
    response = client.post(
        "/pay/", {"contract": "100001", "amount": "1 500,50", "email": "buh@example.ru"}
    )
    payment = Payment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == payment.payment_url
    assert response["Location"].startswith(gateway.url)
    assert (payment.status, payment.amount, payment.email, payment.client) == (
        PaymentStatus.PENDING,
        Decimal("1500.50"),
        "buh@example.ru",
        company,
    )
    sent = gateway.calls("POST", "/api/v1/payments")[0]
    assert json.loads(sent["body"]) == {
        "merchant_id": "kabinet-test",
        "order_id": str(payment.pk),
        "account": "100001",
        "amount": "1500.50",
        "currency": "RUB",
        "description": "Payment under contract 100001",
        "return_url": f"http://127.0.0.1:8000/pay/status/{payment.pk}/",
        "notify_url": "http://127.0.0.1:8000/pay/notify/",
    }
    operation = GatewayOperation.objects.get()
    assert sent["headers"]["Idempotency-Key"] == str(operation.key)
    kinds = list(GatewayMessage.objects.values_list("direction", "kind", "signature_check"))
    assert kinds == [("out", "card_request", "signed"), ("in", "card_response", "ok")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"contract": "", "amount": "100"}, "This field is required."),
        ({"contract": "12ab", "amount": "100"}, "digits only"),
        ({"contract": "999999", "amount": "100"}, "There is no contract with this number."),
        ({"contract": "100005", "amount": "100"}, "This contract is closed"),
        ({"contract": "100001", "amount": ""}, "This field is required."),
        ({"contract": "100001", "amount": "abc"}, "Enter the amount in roubles"),
        ({"contract": "100001", "amount": "10.005"}, "Enter the amount in roubles"),
        ({"contract": "100001", "amount": "-5"}, "Enter the amount in roubles"),
        ({"contract": "100001", "amount": "9.99"}, "from 10.00 to 500000.00"),
        ({"contract": "100001", "amount": "500000.01"}, "from 10.00 to 500000.00"),
        ({"contract": "100001", "amount": "100", "email": "nope"}, "valid email"),
    ],
)
def test_invalid_post_shows_errors_and_creates_nothing(
    client, company, make_client, gateway, data, message
):
    make_client("100005", status="closed")
    response = client.post("/pay/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Payment.objects.exists()
    assert gateway.requests == []


@pytest.mark.parametrize("mode", ["drop", "unsigned", "forged"])
def test_gateway_without_a_trustworthy_answer_tells_the_payer(client, company, gateway, mode):
    gateway.mode = mode
    response = client.post("/pay/", {"contract": "100001", "amount": "700"})
    assert response.status_code == 503
    assert "The payment service is not answering right now." in response.content.decode()
    assert "Nothing has been charged" in response.content.decode()
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.FAILED
    assert payment.payment_url == ""
    # Not shown to the client as a payment: nothing was charged.
    assert not company.payments.exclude(status=PaymentStatus.FAILED).exists()


def test_gateway_down_is_a_clear_message(client, company, settings, closed_port_url):
    settings.KABINET_GATEWAY_URL = closed_port_url
    response = client.post("/pay/", {"contract": "100001", "amount": "700"})
    assert response.status_code == 503
    assert Payment.objects.get().status == PaymentStatus.FAILED
    assert GatewayMessage.objects.get().outcome == "no_answer"


def test_gateway_refusal_is_not_followed(client, company, gateway):
    gateway.merchant = "someone-else"
    response = client.post("/pay/", {"contract": "100001", "amount": "700"})
    assert response.status_code == 503
    assert Payment.objects.get().status == PaymentStatus.FAILED


def test_status_page_asks_the_gateway_while_no_event_came(client, start_payment, gateway):
    payment = start_payment()
    gateway.authorize(payment.gateway_payment_id)
    response = client.get(f"/pay/status/{payment.pk}/")
    assert response.status_code == 200
    assert "Payment accepted" in response.content.decode()
    assert len(gateway.calls("GET")) == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AUTHORIZED
    # Held now: the next event (capture) comes in hours; the page stops asking the gateway.
    client.get(f"/pay/status/{payment.pk}/")
    assert len(gateway.calls("GET")) == 1


def test_status_page_polls_its_partial_until_final(client, start_payment, gateway, peer):
    payment = start_payment()
    page = client.get(f"/pay/status/{payment.pk}/").content.decode()
    assert 'hx-trigger="every 3s"' in page
    assert "<script>" not in page
    partial = client.get(f"/pay/status/{payment.pk}/", headers={"HX-Request": "true"})
    assert partial.content.decode().startswith('<div id="pay-status"')
    peer.notify(gateway.decline(payment.gateway_payment_id))
    final = client.get(f"/pay/status/{payment.pk}/", headers={"HX-Request": "true"})
    assert "Payment declined" in final.content.decode()
    assert "hx-trigger" not in final.content.decode()


def test_status_page_of_unknown_payment_is_404(client):
    assert client.get("/pay/status/6f1c8c1e-0d4b-4f3e-9a51-5d0b1f1a2b3c/").status_code == 404


def test_status_page_survives_gateway_down(client, start_payment, gateway):
    payment = start_payment()
    gateway.mode = "drop"
    response = client.get(f"/pay/status/{payment.pk}/")
    assert response.status_code == 200
    assert "Waiting for the payment" in response.content.decode()

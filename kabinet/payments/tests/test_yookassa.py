"""YooKassa through its official SDK, against a stand-in speaking the published API v3
(yookassa_standin.py): two-stage cards with money-back as cancel, automatic capture before
expires_at, refunds, SBP in one stage, 54-FZ receipts, and notifications that are never
trusted (the payment is read back from the API)."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kabinet.conftest import english_client
from kabinet.exchange.models import OutboxRecord
from kabinet.payments import services
from kabinet.payments.models import (
    GatewayMessage,
    LedgerEntry,
    MessageKind,
    Payment,
    PaymentStatus,
)
from kabinet.payments.providers.yookassa import canonical
from kabinet.payments.selectors import client_balance

from .yookassa_standin import YooKassaStandIn

pytestmark = pytest.mark.django_db

SHOP, SECRET = "123456", "test_secret_key"


@pytest.fixture
def yk(settings):
    standin = YooKassaStandIn(SHOP, SECRET).start()
    settings.KABINET_PAYMENT_PROVIDERS = ["yookassa"]
    settings.KABINET_YOOKASSA_SHOP_ID = SHOP
    settings.KABINET_YOOKASSA_SECRET_KEY = SECRET
    settings.KABINET_YOOKASSA_API_URL = standin.url
    settings.KABINET_YOOKASSA_METHODS = ["card", "sbp"]
    settings.KABINET_YOOKASSA_ALLOWED_IPS = []
    settings.KABINET_RECEIPTS = False
    settings.KABINET_GATEWAY_TIMEOUT = 3
    yield standin
    standin.stop()


def start(method: str = "yookassa:card", amount: str = "1500.00", email: str = "") -> Payment:
    response = english_client().post(
        "/pay/", {"contract": "100001", "amount": amount, "email": email, "method": method}
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    return Payment.objects.latest("created_at")


def notify(body: bytes, address: str = "127.0.0.1"):
    from django.test import Client

    return Client(REMOTE_ADDR=address).post(
        "/pay/yookassa/notify/", body, content_type="application/json"
    )


def held(yk, **kwargs) -> Payment:
    payment = start(**kwargs)
    yk.pay(payment.gateway_payment_id)
    assert (
        notify(
            yk.notification("payment.waiting_for_capture", payment.gateway_payment_id)
        ).status_code
        == 200
    )
    payment.refresh_from_db()
    return payment


def test_a_card_payment_is_created_two_stage_through_the_sdk(yk, company):
    response = english_client().post(
        "/pay/", {"contract": "100001", "amount": "1500", "method": "yookassa:card"}
    )
    payment = Payment.objects.get()
    [call] = yk.calls("POST", "/payments")
    assert response["Location"] == f"{yk.url}/checkout/{payment.gateway_payment_id}"
    assert (payment.provider, payment.method, payment.status) == ("yookassa", "card", "pending")
    assert call["headers"]["Idempotence-Key"] == str(payment.operations.get(kind="create").key)
    assert call["body"]["capture"] is False
    assert call["body"]["amount"] == {"value": "1500.00", "currency": "RUB"}
    assert call["body"]["payment_method_data"] == {"type": "bank_card"}
    assert call["body"]["confirmation"]["type"] == "redirect"
    assert call["body"]["confirmation"]["return_url"].endswith(f"/pay/status/{payment.pk}/")
    assert call["body"]["metadata"]["payment_id"] == str(payment.pk)
    assert "receipt" not in call["body"]


def test_the_pay_page_offers_both_methods_and_says_sbp_is_not_held(yk, company):
    body = english_client().get("/pay/").content.decode()
    assert 'value="yookassa:card"' in body and 'value="yookassa:sbp"' in body
    assert "a payment made by mistake comes back as a refund" in body


def test_held_at_yookassa_is_held_here_and_money_back_is_a_cancel(
    yk, company, manager, client_user
):
    from kabinet.conftest import logged_in

    payment = held(yk)
    assert payment.status == PaymentStatus.AUTHORIZED
    assert payment.capture_before is not None
    assert payment.moneyback_until <= payment.capture_before
    assert client_balance(client=company) == Decimal("0.00")

    response = logged_in(manager).post(
        f"/manager/payments/{payment.pk}/void/",
        {"reason": "Paid twice by mistake", "confirm": "on"},
    )
    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.VOIDED
    [cancel] = yk.calls("POST", "/cancel")
    assert cancel["headers"]["Idempotence-Key"] == str(payment.operations.get(kind="void").key)
    assert yk.payments[payment.gateway_payment_id]["status"] == "canceled"
    assert LedgerEntry.objects.count() == 0
    assert not OutboxRecord.objects.filter(type="payment.captured").exists()


def test_the_window_ends_capture_once_then_refunds_partly_and_fully(yk, company, manager):
    from kabinet.conftest import logged_in

    payment = held(yk)
    later = payment.moneyback_until + timedelta(seconds=1)
    report = services.payment_capture_due(now=later)
    assert report.captured == 1
    services.payment_capture_due(now=later)  # a second run captures nothing more
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    [capture] = yk.calls("POST", "/capture")
    assert capture["body"]["amount"] == {"value": "1500.00", "currency": "RUB"}
    assert capture["headers"]["Idempotence-Key"] == str(payment.operations.get(kind="capture").key)
    assert client_balance(client=company) == Decimal("1500.00")
    record = OutboxRecord.objects.get(type="payment.captured")
    assert (record.data["provider"], record.data["amount"]) == ("yookassa", "1500.00")

    http = logged_in(manager)
    for amount in ("500.00", "1000.00"):
        response = http.post(
            f"/manager/payments/{payment.pk}/refund/",
            {"amount": amount, "reason": "Asked", "key": str(uuid.uuid4()), "confirm": "on"},
        )
        assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert payment.refunded_amount == Decimal("1500.00")
    assert [c["body"]["amount"]["value"] for c in yk.calls("POST", "/refunds")] == [
        "500.00",
        "1000.00",
    ]
    assert client_balance(client=company) == Decimal("0.00")
    assert OutboxRecord.objects.filter(type="payment.refunded").count() == 2


def test_capture_retries_with_the_same_key_when_yookassa_is_down(yk, company):
    payment = held(yk)
    later = payment.moneyback_until + timedelta(seconds=1)
    yk.down = True
    assert services.payment_capture_due(now=later).failed == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AUTHORIZED
    yk.down = False
    assert services.payment_capture_due(now=later).captured == 1
    keys = {c["headers"]["Idempotence-Key"] for c in yk.calls("POST", "/capture")}
    assert len(yk.calls("POST", "/capture")) == 2 and len(keys) == 1
    assert LedgerEntry.objects.count() == 1


def test_sbp_is_one_stage_with_a_qr_and_its_money_back_is_a_refund(yk, company):
    payment = start(method="yookassa:sbp")
    [call] = yk.calls("POST", "/payments")
    assert call["body"]["capture"] is True
    assert call["body"]["payment_method_data"] == {"type": "sbp"}
    assert call["body"]["confirmation"] == {"type": "qr"}
    page = english_client().get(f"/pay/status/{payment.pk}/").content.decode()
    assert 'data-testid="sbp-qr"' in page and "<svg" in page
    assert f'href="{payment.payment_url}"' in page and payment.payment_url.startswith(
        "https://qr.nspk.ru/"
    )

    yk.pay(payment.gateway_payment_id)
    assert (
        notify(yk.notification("payment.succeeded", payment.gateway_payment_id)).status_code == 200
    )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    assert not payment.can_void() and payment.can_refund()
    assert client_balance(client=company) == Decimal("1500.00")


def test_receipts_carry_the_54fz_fields_and_need_an_email(yk, company, settings):
    settings.KABINET_RECEIPTS = True
    settings.KABINET_YOOKASSA_VAT_CODE = 4
    refused = english_client().post(
        "/pay/", {"contract": "100001", "amount": "700", "method": "yookassa:card"}
    )
    assert refused.status_code == 200
    assert "the receipt that the law requires is sent there" in refused.content.decode()
    assert Payment.objects.count() == 0 and yk.requests == []

    payment = start(amount="700", email="buh@baltlog.example")
    receipt = yk.payments[payment.gateway_payment_id]["receipt"]
    assert receipt["customer"] == {"email": "buh@baltlog.example"}
    [item] = receipt["items"]
    assert float(item.pop("quantity")) == 1.0  # the SDK sends it as a number
    assert item == {
        "description": "Communication services under contract 100001",
        "amount": {"value": "700.00", "currency": "RUB"},
        "vat_code": 4,
        "payment_subject": "service",
        "payment_mode": "full_payment",
    }


def test_a_notification_is_never_trusted_only_the_api(yk, company):
    payment = start()
    # The body claims the payment succeeded; YooKassa's API says it is still pending.
    lie = yk.notification(
        "payment.succeeded",
        payment.gateway_payment_id,
        status="succeeded",
        paid=True,
        amount={"value": "999999.00", "currency": "RUB"},
    )
    assert notify(lie).status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert LedgerEntry.objects.count() == 0
    message = GatewayMessage.objects.get(kind=MessageKind.PROVIDER_NOTIFY)
    assert (message.outcome, message.signature_check) == ("ignored", "unsigned")
    assert len(yk.calls("GET", f"/payments/{payment.gateway_payment_id}")) == 1


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[]",
        b'{"event": "payment.succeeded"}',
        b'{"event": "payment.succeeded", "object": {"id": 5}}',
        b'{"event": 1, "object": {}}',
        "\u0000".encode(),
    ],
)
def test_garbage_notifications_are_400_and_change_nothing(yk, company, body):
    payment = start()
    assert notify(body).status_code == 400
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_unknown_objects_events_and_replays_change_nothing(yk, company):
    payment = held(yk)
    unknown = json.dumps({"event": "payment.succeeded", "object": {"id": "nope"}}).encode()
    other = json.dumps({"event": "deal.closed", "object": {"id": payment.gateway_payment_id}})
    replay = yk.notification("payment.waiting_for_capture", payment.gateway_payment_id)
    assert [notify(b).status_code for b in (unknown, other.encode(), replay, replay)] == [200] * 4
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AUTHORIZED
    outcomes = list(
        GatewayMessage.objects.filter(kind=MessageKind.PROVIDER_NOTIFY)
        .order_by("id")
        .values_list("outcome", flat=True)
    )
    assert outcomes[-4:] == ["unknown_payment", "ignored", "ignored", "ignored"]


def test_with_the_api_down_the_notification_is_answered_503_for_a_retry(yk, company):
    payment = start()
    yk.pay(payment.gateway_payment_id)
    yk.down = True
    body = yk.notification("payment.waiting_for_capture", payment.gateway_payment_id)
    assert notify(body).status_code == 503
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    yk.down = False
    assert notify(body).status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AUTHORIZED


def test_the_allow_list_refuses_other_addresses(yk, company, settings, caplog):
    settings.KABINET_YOOKASSA_ALLOWED_IPS = ["185.71.76.0/27", "77.75.156.11"]
    payment = start()
    yk.pay(payment.gateway_payment_id)
    body = yk.notification("payment.waiting_for_capture", payment.gateway_payment_id)
    with caplog.at_level(logging.INFO, logger="kabinet.security"):
        assert notify(body, address="203.0.113.5").status_code == 403
    assert "yookassa_address_refused" in caplog.text
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert notify(body, address="185.71.76.3").status_code == 200


def test_the_endpoint_is_absent_when_yookassa_is_off(settings, company):
    settings.KABINET_PAYMENT_PROVIDERS = ["kabinet"]
    assert notify(b"{}").status_code == 404


def test_wrong_credentials_are_a_refusal_not_a_charge(yk, company, settings):
    settings.KABINET_YOOKASSA_SECRET_KEY = "wrong"
    response = english_client().post(
        "/pay/", {"contract": "100001", "amount": "1500", "method": "yookassa:card"}
    )
    assert response.status_code == 503
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.FAILED


@pytest.mark.parametrize(
    ("status", "details", "expected"),
    [
        ("pending", None, "pending"),
        ("waiting_for_capture", None, "authorized"),
        ("succeeded", None, "captured"),
        ("canceled", {"party": "merchant", "reason": "canceled_by_merchant"}, "voided"),
        ("canceled", {"party": "yoo_money", "reason": "expired_on_capture"}, "expired"),
        ("canceled", {"party": "payment_network", "reason": "insufficient_funds"}, "declined"),
    ],
)
def test_yookassa_statuses_map_to_the_core(status, details, expected):
    obj = {
        "id": "2419a771-000f-5000-9000-1edaf29243f2",
        "status": status,
        "amount": {"value": "100.00", "currency": "RUB"},
        "metadata": {"payment_id": "x"},
    }
    if details:
        obj["cancellation_details"] = details
    assert canonical(obj)["status"] == expected


def test_a_fully_refunded_payment_maps_to_refunded():
    obj = {
        "id": "p",
        "status": "succeeded",
        "amount": {"value": "100.00", "currency": "RUB"},
        "refunded_amount": {"value": "100.00", "currency": "RUB"},
    }
    assert canonical(obj)["status"] == "refunded"
    assert canonical(obj)["captured_amount"] == "100.00"


def test_the_window_is_cut_short_by_yookassas_expires_at(yk, company):
    payment = start()
    yk.pay(payment.gateway_payment_id)
    soon = timezone.now() + timedelta(minutes=40)
    yk.payments[payment.gateway_payment_id]["expires_at"] = soon.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    notify(yk.notification("payment.waiting_for_capture", payment.gateway_payment_id))
    payment.refresh_from_db()
    assert payment.moneyback_until <= soon - timedelta(minutes=15)


def test_a_refund_carries_its_refund_receipt(yk, company, manager, settings):
    from kabinet.conftest import logged_in

    settings.KABINET_RECEIPTS = True
    payment = held(yk, email="buh@baltlog.example")
    services.payment_capture_due(now=payment.moneyback_until + timedelta(seconds=1))
    response = logged_in(manager).post(
        f"/manager/payments/{payment.pk}/refund/",
        {"amount": "300.00", "reason": "Asked", "key": str(uuid.uuid4()), "confirm": "on"},
    )
    assert response.status_code == 302
    [refund] = yk.refunds.values()
    assert refund["receipt"]["customer"] == {"email": "buh@baltlog.example"}
    assert refund["receipt"]["items"][0]["amount"] == {"value": "300.00", "currency": "RUB"}
    assert refund["receipt"]["items"][0]["payment_subject"] == "service"


def test_the_managers_list_filters_and_totals_by_provider(yk, company, manager, settings):
    from kabinet.conftest import logged_in

    payment = held(yk)
    services.payment_capture_due(now=payment.moneyback_until + timedelta(seconds=1))
    Payment.objects.create(
        client=company,
        channel="terminal",
        provider="osmp",
        method="terminal",
        status=PaymentStatus.ACCEPTED,
        amount=Decimal("250.00"),
        captured_amount=Decimal("250.00"),
        receipt="osmp:1",
    )
    http = logged_in(manager)
    page = http.get("/manager/payments/")
    rows = {r["provider"]: (r["count"], r["captured"]) for r in page.context["by_provider"]}
    assert rows == {"osmp": (1, Decimal("250.00")), "yookassa": (1, Decimal("1500.00"))}
    only = http.get("/manager/payments/", {"provider": "osmp"})
    assert [p.provider for p in only.context["page"].object_list] == ["osmp"]
    csv = b"".join(http.get("/manager/payments/export.csv").streaming_content).decode()
    assert csv.splitlines()[0].split(",")[4:7] == ["channel", "provider", "method"]
    assert ",card,yookassa,card," in csv and ",terminal,osmp,terminal," in csv
    detail = http.get(f"/manager/payments/{payment.pk}/").content.decode()
    assert "YooKassa · Bank card" in detail

"""SMS: numbers in any format, message length, SMSC's HTTP API through a stand-in, the
queued and retried deliveries, the confirmed number, and what managers see."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core import mail
from django.test import override_settings

from kabinet.notifications import channels, sms
from kabinet.notifications.models import (
    Category,
    Delivery,
    DeliveryStatus,
    MobilePhone,
    NotificationPreference,
)
from kabinet.notifications.services import notification_send as _notification_send

from .smsc_standin import smsc_gateway

pytestmark = pytest.mark.django_db


def notification_send(**kwargs):
    """As a service call in a request that commits: the queued deliveries run after it."""
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        return _notification_send(**kwargs)


@pytest.mark.parametrize(
    "raw,number",
    [
        ("+7 (912) 345-67-89", "79123456789"),
        ("8 912 345 67 89", "79123456789"),
        ("9123456789", "79123456789"),
        ("+79123456789", "79123456789"),
        ("7.912.345.67.89", "79123456789"),
    ],
)
def test_numbers_people_type(raw, number):
    assert sms.normalize_phone(raw) == number


@pytest.mark.parametrize(
    "raw", ["", "12345", "+1 212 555 0100", "8 812 400-00-00", "٩١٢٣٤٥٦٧٨٩", "79123456789x"]
)
def test_numbers_that_are_not_russian_mobiles(raw):
    with pytest.raises(sms.InvalidPhone):
        sms.normalize_phone(raw)


def test_message_length_in_segments():
    assert sms.segments("a" * 160) == 1 and sms.segments("a" * 161) == 2
    assert sms.segments("я" * 70) == 1 and sms.segments("я" * 71) == 2
    assert sms.segments("я" * 135) == 3
    long = "Баланс договора 100001 почти исчерпан, пополните его в личном кабинете " * 5
    assert sms.segments(sms.fit(long)) <= 2 and sms.fit(long).endswith("…")


def _confirmed(user, number="79123456789"):
    MobilePhone.objects.create(user=user, number=number, confirmed_at="2026-12-01T00:00Z")
    for category in Category.values:
        NotificationPreference.objects.update_or_create(
            user=user, category=category, defaults={"by_sms": True}
        )


def test_a_notice_goes_by_sms_through_smsc(client_user, settings):
    _confirmed(client_user)
    with smsc_gateway() as (gateway, url):
        settings.KABINET_SMS_BACKEND = "smsc"
        settings.KABINET_SMS_API_URL = url
        settings.KABINET_SMSC_LOGIN, settings.KABINET_SMSC_PASSWORD = "op", "secret"
        settings.KABINET_SMS_SENDER = "SZT"
        notification_send(
            users=[client_user],
            category=Category.PAYMENT,
            title="Баланс ниже 1000 ₽",
            url="/cabinet/payments/",
        )
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.address, delivery.provider_id) == (
        "sent",
        "79123456789",
        "101",
    )
    (request,) = gateway.requests
    assert request["phones"] == "79123456789" and request["fmt"] == "3"
    assert request["charset"] == "utf-8" and request["sender"] == "SZT"
    assert (request["login"], request["psw"]) == ("op", "secret")
    assert request["mes"].startswith(f"{settings.KABINET_OPERATOR_NAME}: Баланс ниже 1000 ₽")
    assert sms.segments(request["mes"]) <= 2
    assert len(mail.outbox) == 1  # e-mail went its own way


@pytest.mark.parametrize(
    "plan,status,words",
    [
        (
            ("json", {"error": "no money", "error_code": 3}),
            "pending",
            "no money left on the SMS gateway account",
        ),
        (("json", {"error": "invalid phone", "error_code": 7}), "failed", "phone number is wrong"),
        (
            ("json", {"error": "cannot deliver", "error_code": 8, "id": 5}),
            "failed",
            "cannot deliver",
        ),
        (("raw", 200, "<html>oops</html>"), "pending", "not JSON"),
        (("raw", 502, "bad gateway"), "pending", "HTTP error"),
        (("json", {"cnt": 1}), "pending", "no message id"),
        (("json", [1, 2]), "pending", "not understood"),
    ],
)
def test_gateway_errors_in_words_and_retries(client_user, settings, plan, status, words):
    _confirmed(client_user)
    with smsc_gateway() as (gateway, url):
        settings.KABINET_SMS_BACKEND, settings.KABINET_SMS_API_URL = "smsc", url
        gateway.answers.append(plan)
        notification_send(users=[client_user], category=Category.PAYMENT, title="Тест")
        delivery = Delivery.objects.get()
        assert delivery.status == status and words in delivery.last_error
        if status == "pending":
            assert delivery.next_attempt_at is not None and delivery.attempts == 1
            # The next attempt, when due, goes through.
            Delivery.objects.update(next_attempt_at="2000-01-01T00:00Z")
            assert channels.deliveries_retry_due() == 1
            delivery.refresh_from_db()
            assert delivery.status == "sent" and delivery.attempts == 2
    assert len(mail.outbox) == 1


def test_a_silent_gateway_times_out_and_is_retried_then_given_up(client_user, settings):
    _confirmed(client_user)
    with smsc_gateway() as (gateway, url):
        settings.KABINET_SMS_BACKEND, settings.KABINET_SMS_API_URL = "smsc", url
        settings.KABINET_SMS_TIMEOUT = 1
        settings.KABINET_DELIVERY_MAX_ATTEMPTS = 2
        gateway.answers += [("sleep", 2), ("raw", 500, "x")]
        notification_send(users=[client_user], category=Category.PAYMENT, title="Тест")
        delivery = Delivery.objects.get()
        assert delivery.status == "pending" and "did not answer" in delivery.last_error
        Delivery.objects.update(next_attempt_at="2000-01-01T00:00Z")
        channels.deliveries_retry_due()
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 2


def test_no_sms_without_a_confirmed_number_or_the_wish(client_user, colleague):
    MobilePhone.objects.create(user=client_user, number="79123456789")  # not confirmed
    NotificationPreference.objects.create(user=client_user, category="payment", by_sms=True)
    _confirmed(colleague, "79990000000")
    NotificationPreference.objects.filter(user=colleague, category="payment").update(by_sms=False)
    notification_send(users=[client_user, colleague], category=Category.PAYMENT, title="x")
    assert Delivery.objects.count() == 0


@override_settings(KABINET_SMS_BACKEND="file")
def test_the_demo_writes_sms_to_files(client_user, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    _confirmed(client_user)
    notification_send(users=[client_user], category=Category.PAYMENT, title="Платёж зачислен")
    (path,) = list(Path(tmp_path, "sms").iterdir())
    assert "To: +79123456789" in path.read_text() and "Платёж зачислен" in path.read_text()


def _code_from_file(folder: Path) -> str:
    newest = sorted(folder.iterdir())[-1]
    match = re.search(r"\b(\d{6})\b", newest.read_text())
    assert match
    return match.group(1)


def test_confirming_a_number(as_client, client_user, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    page = "/account/notifications/settings/"
    bad = as_client.post("/account/notifications/phone/", {"number": "12345"})
    assert bad.status_code == 400 and not MobilePhone.objects.exists()
    assert (
        as_client.post("/account/notifications/phone/", {"number": "8 (912) 345-67-89"}).status_code
        == 302
    )
    phone = MobilePhone.objects.get()
    assert phone.number == "79123456789" and not phone.confirmed
    code = _code_from_file(tmp_path / "sms")
    assert code not in phone.code_hash
    # Too soon for another code; a wrong code is counted; the right one confirms.
    assert (
        as_client.post("/account/notifications/phone/", {"number": "89123456789"}).status_code
        == 400
    )
    wrong = "000000" if code != "000000" else "111111"
    assert (
        as_client.post("/account/notifications/phone/confirm/", {"code": wrong}).status_code == 400
    )
    assert (
        as_client.post("/account/notifications/phone/confirm/", {"code": code}).status_code == 302
    )
    phone.refresh_from_db()
    assert phone.confirmed and phone.code_hash == ""
    assert 'data-testid="phone-confirmed"' in as_client.get(page).content.decode()
    # SMS categories can be chosen now.
    response = as_client.post(
        page, {"email_categories": ["payment"], "sms_categories": ["payment"]}
    )
    assert response.status_code == 302
    assert NotificationPreference.objects.get(user=client_user, category="payment").by_sms
    as_client.post("/account/notifications/phone/remove/")
    assert not MobilePhone.objects.exists()


def test_five_wrong_codes_end_the_code(as_client, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    as_client.post("/account/notifications/phone/", {"number": "+79123456789"})
    code = _code_from_file(tmp_path / "sms")
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        as_client.post("/account/notifications/phone/confirm/", {"code": wrong})
    response = as_client.post("/account/notifications/phone/confirm/", {"code": code})
    assert response.status_code == 400 and "no longer valid" in response.content.decode()
    assert not MobilePhone.objects.get().confirmed


def test_sms_choices_wait_for_a_confirmed_number(as_client, client_user):
    response = as_client.post(
        "/account/notifications/settings/",
        {"email_categories": ["payment"], "sms_categories": ["payment"]},
    )
    assert response.status_code == 302
    assert not NotificationPreference.objects.filter(user=client_user, by_sms=True).exists()


def test_managers_see_deliveries_and_errors_in_words(
    as_manager, as_client, client_user, company, settings
):
    _confirmed(client_user)
    with smsc_gateway() as (gateway, url):
        settings.KABINET_SMS_BACKEND, settings.KABINET_SMS_API_URL = "smsc", url
        gateway.answers.append(("json", {"error": "no money", "error_code": 3}))
        notification_send(users=[client_user], category=Category.PAYMENT, title="Проверка")
    page = as_manager.get("/manager/deliveries/?status=pending&contract=100001").content.decode()
    assert "no money left on the SMS gateway account" in page and "+79123456789" in page
    assert as_manager.get("/manager/deliveries/?status=nonsense").status_code == 200
    assert as_client.get("/manager/deliveries/").status_code == 403

"""Crossing the threshold sends exactly one alert on every channel each person enabled: the
cabinet, e-mail, SMS through a stand-in of SMSC's published HTTP API, and Telegram through a
stand-in of the Bot API."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail
from django.test import TestCase

from kabinet.forecast import services
from kabinet.notifications.models import (
    Delivery,
    MobilePhone,
    Notification,
    NotificationPreference,
    TelegramLink,
)
from kabinet.notifications.tests.smsc_standin import smsc_gateway
from kabinet.notifications.tests.telegram_standin import TOKEN, bot_api
from kabinet.payments import agents

pytestmark = pytest.mark.django_db


def test_one_alert_per_crossing_on_every_enabled_channel(
    company, client_user, colleague, subscribe, public_tariff, settings
):
    subscribe(company, public_tariff)
    agents.payment_accept_agent(
        provider="osmp", txn_id="1", client=company, amount=Decimal("100.00"), txn_date="20261204"
    )
    MobilePhone.objects.create(
        user=client_user, number="79123456789", confirmed_at="2026-12-01T00:00Z"
    )
    NotificationPreference.objects.create(
        user=client_user, category="payment", by_sms=True, by_telegram=True
    )
    TelegramLink.objects.create(user=client_user, chat_id=555)
    TelegramLink.objects.create(user=colleague, chat_id=556)  # linked, Telegram not chosen
    mail.outbox.clear()
    Notification.objects.all().delete()
    with smsc_gateway() as (gateway, url), bot_api() as (telegram, api_url):
        settings.KABINET_SMS_BACKEND, settings.KABINET_SMS_API_URL = "smsc", url
        settings.KABINET_TELEGRAM_BACKEND, settings.KABINET_TELEGRAM_API_URL = "api", api_url
        settings.KABINET_TELEGRAM_BOT_TOKEN = TOKEN
        for _ in range(3):  # the pass runs hourly; the balance stays low
            with TestCase.captureOnCommitCallbacks(execute=True):
                services.forecast_pass()
    alerts = Notification.objects.filter(title__contains="lasts about")
    assert alerts.count() == 1 and alerts.get().user == client_user
    assert [m.to for m in mail.outbox] == [[client_user.email]]
    assert len(gateway.requests) == 1 and gateway.requests[0]["phones"] == "79123456789"
    assert "100001" in gateway.requests[0]["mes"]
    (message,) = telegram.sent()
    assert int(message["chat_id"]) == 555 and "100001" in message["text"]
    assert "/cabinet/" in message["text"]
    assert set(Delivery.objects.values_list("channel", "status")) == {
        ("sms", "sent"),
        ("telegram", "sent"),
    }

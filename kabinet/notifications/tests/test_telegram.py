"""Notices in Telegram through a stand-in of the Bot API: sent, retried, failed in words a
manager reads; the webhook registered by the management command."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import TestCase
from django.utils import timezone

from kabinet.notifications import channels, services
from kabinet.notifications.models import (
    Delivery,
    NotificationPreference,
    TelegramLink,
)
from kabinet.notifications.tests.telegram_standin import TOKEN, USERNAME, bot_api

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(settings):
    with bot_api() as (standin, url):
        settings.KABINET_TELEGRAM_BACKEND = "api"
        settings.KABINET_TELEGRAM_BOT_TOKEN = TOKEN
        settings.KABINET_TELEGRAM_BOT_USERNAME = USERNAME
        settings.KABINET_TELEGRAM_API_URL = url
        settings.KABINET_TELEGRAM_WEBHOOK_SECRET = "s3cret_token-1"
        settings.KABINET_TELEGRAM_TIMEOUT = 2
        yield standin


@pytest.fixture
def linked_user(client_user):
    TelegramLink.objects.create(user=client_user, chat_id=555, username="anna")
    NotificationPreference.objects.create(user=client_user, category="payment", by_telegram=True)
    return client_user


def notify(user, **kwargs):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return services.notification_send(
            users=[user],
            category=kwargs.pop("category", "payment"),
            title="Баланс договора 100001 заканчивается",
            body="Осталось на 3 дня.",
            url="/cabinet/payments/",
            **kwargs,
        )


def test_a_notice_arrives_as_a_bot_message(api, linked_user, colleague, settings):
    TelegramLink.objects.create(user=colleague, chat_id=556)  # linked, but did not choose it
    notify(linked_user)
    notify(colleague)
    (sent,) = api.sent()
    assert int(sent["chat_id"]) == 555
    assert sent["text"] == (
        "Баланс договора 100001 заканчивается\n\nОсталось на 3 дня.\n\n"
        f"{settings.SITE_URL}/cabinet/payments/"
    )
    delivery = Delivery.objects.get()
    assert (delivery.channel, delivery.status, delivery.address) == ("telegram", "sent", "555")
    assert delivery.provider_id.isdigit()


def test_other_categories_only_when_chosen(api, linked_user):
    notify(linked_user, category="news")
    assert api.sent() == []


def test_blocked_bot_fails_for_good_in_words(api, linked_user, as_manager):
    api.blocked.add(555)
    notify(linked_user)
    delivery = Delivery.objects.get()
    assert delivery.status == "failed" and delivery.next_attempt_at is None
    assert "blocked the bot" in delivery.last_error and '"error_code": 403' in delivery.answer
    page = as_manager.get("/manager/deliveries/?channel=telegram").content.decode()
    assert "the person blocked the bot or deleted the chat" in page


@pytest.mark.parametrize(
    ("plan", "words"),
    [
        (
            (
                "raw",
                429,
                '{"ok":false,"error_code":429,"description":"Too Many Requests: retry after'
                ' 900","parameters":{"retry_after":900}}',
            ),
            "less often",
        ),
        (("raw", 502, "<html>Bad Gateway</html>"), "not understood"),
        (("raw", 200, '{"result": 1}'), "not understood"),
        (("raw", 200, "garbage"), "not understood"),
        (("raw", 401, '{"ok":false,"error_code":401,"description":"Unauthorized"}'), "token"),
        (("sleep", 3), "did not answer"),
    ],
)
def test_failures_are_retried_later(api, linked_user, plan, words):
    api.answers.append(plan)
    before = timezone.now()
    notify(linked_user)
    delivery = Delivery.objects.get()
    assert delivery.status == "pending" and words in delivery.last_error
    assert delivery.next_attempt_at >= before + timedelta(seconds=60)
    if plan[1] == 429:
        assert delivery.next_attempt_at >= before + timedelta(seconds=900)
    # The retry goes through once Telegram answers again.
    Delivery.objects.update(next_attempt_at=timezone.now())
    assert channels.deliveries_retry_due() == 1
    assert Delivery.objects.get().status == "sent" and len(api.sent()) == 2  # failed, then sent


def test_one_channel_failing_does_not_hold_the_other(api, linked_user, settings, tmp_path):
    from kabinet.notifications.models import MobilePhone

    settings.KABINET_SMS_BACKEND = "file"
    settings.VAR_DIR = tmp_path
    MobilePhone.objects.create(user=linked_user, number="79123456789", confirmed_at=timezone.now())
    NotificationPreference.objects.filter(user=linked_user).update(by_sms=True)
    api.answers.append(("raw", 500, "down"))
    notify(linked_user)
    states = dict(Delivery.objects.values_list("channel", "status"))
    assert states == {"sms": "sent", "telegram": "pending"}


def test_the_file_backend_writes_messages(settings, tmp_path, linked_user):
    settings.KABINET_TELEGRAM_BACKEND, settings.VAR_DIR = "file", tmp_path
    notify(linked_user)
    (written,) = (tmp_path / "telegram").iterdir()
    assert "To chat: 555" in written.read_text() and Delivery.objects.get().status == "sent"


def test_the_command_registers_the_webhook_and_menu(api, settings):
    settings.SITE_URL = "https://lk.example.ru"
    out = StringIO()
    call_command("telegram_webhook", stdout=out)
    assert api.webhook["url"] == "https://lk.example.ru/telegram/webhook/"
    assert api.webhook["secret_token"] == "s3cret_token-1"
    assert "message" in str(api.webhook["allowed_updates"])
    assert {"ru", "en", ""} <= set(api.commands)
    assert [c["command"] for c in api.commands["en"]] == [
        "balance",
        "pay",
        "requests",
        "help",
        "stop",
    ]
    assert api.commands["en"][0]["description"] != api.commands["ru"][0]["description"]
    call_command("telegram_webhook", "--info", stdout=out)
    assert "url: https://lk.example.ru/telegram/webhook/" in out.getvalue()
    call_command("telegram_webhook", "--delete", stdout=out)
    assert api.webhook == {}


def test_the_command_says_what_is_missing(api, settings):
    with pytest.raises(CommandError, match="HTTPS"):
        call_command("telegram_webhook", "--url", "http://insecure.example/hook/")
    settings.KABINET_TELEGRAM_BOT_TOKEN = "999:wrong"
    with pytest.raises(CommandError, match="Telegram refused"):
        call_command("telegram_webhook")
    settings.KABINET_TELEGRAM_BACKEND = "file"
    with pytest.raises(CommandError, match="KABINET_TELEGRAM_BACKEND=api"):
        call_command("telegram_webhook")


def test_the_local_message_command_plays_the_bot(client_user, as_client, settings):
    settings.KABINET_TELEGRAM_BACKEND = "file"
    settings.KABINET_TELEGRAM_BOT_USERNAME = "kabinet_demo_bot"
    html = as_client.post("/account/notifications/telegram/link/", follow=True).content.decode()
    token = html.split("start=")[1].split('"')[0]
    out = StringIO()
    call_command("telegram_message", f"/start {token}", "--chat", "1001", stdout=out)
    assert "linked to boss@baltlog.example" in out.getvalue()
    assert TelegramLink.objects.get().chat_id == 1001


def test_preferences_offer_telegram_only_when_set_up(as_client, client_user, settings):
    settings.KABINET_TELEGRAM_BOT_USERNAME = ""
    page = as_client.get("/account/notifications/settings/").content.decode()
    assert 'data-testid="telegram-off"' in page and "telegram_categories" not in page
    response = as_client.post("/account/notifications/telegram/link/")
    assert response.status_code == 302
    settings.KABINET_TELEGRAM_BACKEND = "file"
    settings.KABINET_TELEGRAM_BOT_USERNAME = "kabinet_demo_bot"
    page = as_client.get("/account/notifications/settings/").content.decode()
    assert 'name="telegram_categories"' in page and "Link your Telegram below" in page
    # Not linked: a Telegram choice posted anyway is not kept.
    as_client.post(
        "/account/notifications/settings/",
        {"email_categories": ["payment"], "telegram_categories": ["payment", "news"]},
    )
    assert not NotificationPreference.objects.filter(by_telegram=True).exists()
    TelegramLink.objects.create(user=client_user, chat_id=5)
    as_client.post(
        "/account/notifications/settings/",
        {"email_categories": ["payment"], "telegram_categories": ["payment", "news"]},
    )
    assert set(
        NotificationPreference.objects.filter(by_telegram=True).values_list("category", flat=True)
    ) == {"payment", "news"}
    as_client.post("/account/notifications/telegram/unlink/")
    assert not TelegramLink.objects.exists()
    assert not NotificationPreference.objects.filter(by_telegram=True).exists()

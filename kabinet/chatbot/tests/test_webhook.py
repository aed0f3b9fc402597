"""The bot through its real URL, as Telegram calls it: linking by a one-time deep link from the
profile, the commands for linked users only and their own company, and every forged, replayed
or malformed call answered without a change."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client as HttpClient
from django.utils import timezone, translation
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from kabinet.chatbot.models import ProcessedUpdate
from kabinet.exchange.tests.helpers import import_bytes
from kabinet.forecast.selectors import client_forecast
from kabinet.lib.money import display_money
from kabinet.notifications.models import (
    Notification,
    NotificationPreference,
    TelegramLink,
    TelegramLinkToken,
)
from kabinet.payments import agents
from kabinet.servicedesk.models import RequestKind, RequestStatus, ServiceRequest

pytestmark = pytest.mark.django_db

SECRET = "test-webhook-secret"
URL = "/telegram/webhook/"


@pytest.fixture(autouse=True)
def _bot(settings):
    settings.KABINET_TELEGRAM_BACKEND = "file"
    settings.KABINET_TELEGRAM_BOT_USERNAME = "kabinet_test_bot"
    settings.KABINET_TELEGRAM_WEBHOOK_SECRET = SECRET


def update(update_id: int, text: str, chat: int = 555, chat_type: str = "private", **person):
    """An Update with a text Message, as the Bot API documents them."""
    sender = {"id": chat, "is_bot": False, "first_name": "Анна", "language_code": "en"}
    sender.update(person)
    message = {
        "message_id": update_id,
        "date": int(timezone.now().timestamp()),
        "chat": {"id": chat, "type": chat_type},
        "from": sender,
        "text": text,
    }
    return {"update_id": update_id, "message": message}


class Telegram:
    """Posts updates the way Telegram does: JSON, with the secret token header."""

    def __init__(self) -> None:
        self.http = HttpClient()
        self.update_id = 1000

    def update(self, body: object, secret: str | None = SECRET, **headers: str):
        if secret is not None:
            headers["HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN"] = secret
        return self.http.post(
            URL,
            body if isinstance(body, str | bytes) else json.dumps(body),
            content_type="application/json",
            **headers,
        )

    def message(self, text: str, chat: int = 555, chat_type: str = "private", **person):
        self.update_id += 1
        return self.update(update(self.update_id, text, chat, chat_type, **person))

    def says(self, text: str, chat: int = 555, **person) -> str:
        """The bot's answer to a message, as the sendMessage call in the webhook's answer."""
        response = self.message(text, chat, **person)
        assert response.status_code == 200, response.content
        call = response.json()
        assert call["method"] == "sendMessage" and call["chat_id"] == chat
        return call["text"]


def en_money(amount: Decimal) -> str:
    with translation.override("en"):
        return display_money(amount)


@pytest.fixture
def tg() -> Telegram:
    return Telegram()


def deep_link_token(http: HttpClient) -> str:
    response = http.post("/account/notifications/telegram/link/", follow=True)
    assert response.redirect_chain == [("/account/notifications/settings/", 302)]
    html = response.content.decode()
    match = re.search(r'href="https://t\.me/kabinet_test_bot\?start=([A-Za-z0-9_-]+)"', html)
    assert match, html
    assert "<svg" in html  # the QR code of the same link, for a phone's camera
    return match.group(1)


@pytest.fixture
def linked(as_client, client_user, tg) -> Telegram:
    token = deep_link_token(as_client)
    assert "linked to boss@baltlog.example" in tg.says(f"/start {token}")
    return tg


def test_linking_from_the_profile(as_client, client_user, tg):
    assert "not linked" in as_client.get("/account/").content.decode()
    page = as_client.get("/account/notifications/settings/").content.decode()
    assert 'data-testid="telegram-link"' in page
    token = deep_link_token(as_client)
    assert TelegramLinkToken.objects.get().token_hash != token  # only a hash is kept
    text = tg.says(f"/start {token}", username="anna_b", last_name="Б.")
    assert "linked to boss@baltlog.example" in text and "/balance" in text
    link = TelegramLink.objects.get()
    assert (link.user, link.chat_id, link.username, link.name) == (
        client_user,
        555,
        "anna_b",
        "Анна Б.",
    )
    # Balance alerts now also go to Telegram; the profile shows the link and the column.
    assert NotificationPreference.objects.get(user=client_user, category="payment").by_telegram
    # Reloading the page after pressing Start shows the linked account, not the used link.
    page = as_client.get("/account/notifications/settings/").content.decode()
    assert "Linked to @anna_b in Telegram" in page and "t.me/" not in page
    profile = as_client.get("/account/").content.decode()
    assert 'data-testid="profile-telegram">@anna_b' in profile
    assert (
        'name="telegram_categories"' in page
        and "disabled" not in page.split('name="telegram_categories"')[1].split(">")[0]
    )


def test_a_link_works_once_and_for_fifteen_minutes(as_client, client_user, tg):
    token = deep_link_token(as_client)
    tg.says(f"/start {token}", chat=555)
    # Someone else who saw the link cannot take it over.
    assert "no longer works" in tg.says(f"/start {token}", chat=777)
    assert TelegramLink.objects.get().chat_id == 555
    # An expired link.
    old = deep_link_token(as_client)
    TelegramLinkToken.objects.filter(used_at__isnull=True).update(
        created_at=timezone.now() - timedelta(minutes=16)
    )
    assert "no longer works" in tg.says(f"/start {old}", chat=888)
    # A new link voids an earlier unused one.
    first, second = deep_link_token(as_client), deep_link_token(as_client)
    assert "no longer works" in tg.says(f"/start {first}", chat=999)
    assert "linked to" in tg.says(f"/start {second}", chat=999)
    assert TelegramLink.objects.get().chat_id == 999
    assert "no longer works" in tg.says("/start made-up-token", chat=111)
    assert "no longer works" in tg.says("/start " + "x" * 300, chat=111)


def test_unlinked_chats_learn_nothing(company, client_user, tg):
    agents.payment_accept_agent(
        provider="osmp", txn_id="1", client=company, amount=Decimal("100.00"), txn_date="20261204"
    )
    for command in ("/balance", "/pay", "/requests", "/help", "hello", "/start"):
        text = tg.says(command)
        assert "linked it in Kabinet" in text
        assert "100001" not in text and "100" not in text.replace("/", "")
    assert "«Привязать Telegram»" in tg.says("/balance", language_code="ru")  # their language


def test_balance_pay_and_requests_of_the_own_company_only(
    linked, company, other_company, client_user, other_client_user, subscribe, public_tariff
):
    subscribe(company, public_tariff)
    agents.payment_accept_agent(
        provider="osmp", txn_id="1", client=company, amount=Decimal("245.00"), txn_date="20261204"
    )
    agents.payment_accept_agent(
        provider="osmp",
        txn_id="2",
        client=other_company,
        amount=Decimal("999.00"),
        txn_date="20261204",
    )
    ServiceRequest.objects.create(
        client=company, kind=RequestKind.OTHER, subject="Ours", created_by=client_user
    )
    ServiceRequest.objects.create(
        client=company, kind=RequestKind.OTHER, status=RequestStatus.DONE, created_by=client_user
    )
    theirs = ServiceRequest.objects.create(
        client=other_company, kind=RequestKind.OTHER, created_by=other_client_user
    )
    forecast = client_forecast(company)
    balance = linked.says("/balance")
    assert "Contract 100001" in balance and en_money(forecast.balance) in balance
    assert f"about {forecast.days_left} days" in balance
    assert "999" not in balance and "100002" not in balance
    pay = linked.says("/pay@kabinet_test_bot")
    assert "/pay/?contract=100001&amount=500.00" in pay  # a month's fee 490, rounded up to 100
    requests_text = linked.says("/requests")
    ours = ServiceRequest.objects.get(client=company, status=RequestStatus.NEW)
    assert f"№{ours.pk}" in requests_text and "New" in requests_text
    assert f"№{theirs.pk}" not in requests_text
    assert "/balance" in linked.says("/help") and "/balance" in linked.says("what?")


def test_pay_suggests_the_debt(linked, company, peer):
    as_of = (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    import_bytes(peer.package([peer.snapshot("100001", "-1234.56", as_of)]))
    balance = linked.says("/balance")
    assert "used up" in balance and en_money(Decimal("-1234.56")) in balance
    assert "contract=100001&amount=1300.00" in linked.says("/pay")


def test_stop_unlinks(linked, client_user):
    assert "unlinked" in linked.says("/stop")
    assert not TelegramLink.objects.exists()
    assert not NotificationPreference.objects.filter(by_telegram=True).exists()
    assert "linked it in Kabinet" in linked.says("/balance")


def test_staff_get_their_notices_but_no_client_commands(manager, tg):
    http = HttpClient()
    http.force_login(manager)
    token = deep_link_token(http)
    tg.says(f"/start {token}", chat=42)
    text = tg.says("/balance", chat=42)
    assert "for the staff of client companies" in text and "Balance:" not in text


def test_a_deactivated_user_is_not_answered(linked, client_user):
    client_user.is_active = False
    client_user.save()
    assert "linked it in Kabinet" in linked.says("/balance")


def test_the_answer_is_in_the_users_language(as_client, client_user, tg):
    client_user.language = "ru"
    client_user.save()
    token = deep_link_token(as_client)
    assert "привязан" in tg.says(f"/start {token}", language_code="en")
    assert "Баланс" in tg.says("/balance")


def test_groups_and_other_updates_get_no_answer(linked):
    response = linked.message("/balance", chat=-100123, chat_type="group")
    assert response.status_code == 200 and b"sendMessage" not in response.content
    edited = {
        "message_id": 1,
        "date": 0,
        "edit_date": 1,
        "chat": {"id": 555, "type": "private"},
        "text": "/balance",
    }
    response = linked.update({"update_id": 5, "edited_message": edited})
    assert response.status_code == 200 and b"sendMessage" not in response.content


def test_forged_calls_change_nothing(as_client, client_user, tg, settings):
    token = deep_link_token(as_client)
    body = update(77, f"/start {token}", chat=9)
    assert tg.update(body, secret=None).status_code == 403
    assert tg.update(body, secret="wrong").status_code == 403
    assert tg.update(body, secret=SECRET + "x").status_code == 403
    assert tg.http.get(URL, HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN=SECRET).status_code == 405
    assert not ProcessedUpdate.objects.exists() and not TelegramLink.objects.exists()
    settings.KABINET_TELEGRAM_WEBHOOK_SECRET = ""
    assert tg.update(body, secret="").status_code == 404
    assert not TelegramLink.objects.exists()


def test_a_replayed_update_is_acted_on_once(as_client, client_user, tg):
    token = deep_link_token(as_client)
    body = update(4242, f"/start {token}")
    first = tg.update(body)
    assert first.json()["method"] == "sendMessage"
    TelegramLink.objects.all().delete()
    again = tg.update(body)
    assert again.status_code == 200 and again.content == b"Already processed."
    assert not TelegramLink.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        b"\xff\xfe",
        "[]",
        "{}",
        '{"update_id": "1"}',
        '{"update_id": 1, "message": 5}',
        '{"update_id": 1, "message": {}}',
        '{"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": "x"}}',
    ],
)
def test_garbage_is_refused(tg, body):
    response = tg.update(body)
    assert response.status_code in (200, 400)
    assert not TelegramLink.objects.exists() and not Notification.objects.exists()


@hsettings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    message=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(["message_id", "date", "chat", "from", "text", "id", "type"]),
                inner,
                max_size=6,
            )
        ),
        max_leaves=12,
    )
)
def test_no_update_makes_a_server_error(message):
    tg = Telegram()
    response = tg.update({"update_id": 1, "message": message})
    assert response.status_code < 500
    ProcessedUpdate.objects.all().delete()


def test_balance_mentions_an_open_promised_payment(
    linked, company, client_user, subscribe, public_tariff
):
    from kabinet.continuity import services as continuity

    subscribe(company, public_tariff)
    agents.payment_accept_agent(
        provider="osmp", txn_id="1", client=company, amount=Decimal("50.00"), txn_date="20261204"
    )
    continuity.credit_take(client=company, actor=client_user, amount=Decimal("300.00"))
    assert f"Promised payment: {en_money(Decimal('300.00'))} left" in linked.says("/balance")

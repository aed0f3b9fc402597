"""Linking Telegram in a real browser, with Telegram played by HTTP calls to the live webhook
as the Bot API makes them: the link and its QR code pass axe-core at desk and phone widths,
Start links the chat, reloading the page shows the account, the bot answers /balance."""

from __future__ import annotations

import json
import urllib.request

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from kabinet.conftest import PASSWORD, browser_login
from kabinet.notifications.models import TelegramLink

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SECRET = "e2e-webhook-secret"


def telegram_sends(base: str, update_id: int, text: str) -> dict:
    body = {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1764800000,
            "chat": {"id": 4242, "type": "private"},
            "from": {"id": 4242, "is_bot": False, "first_name": "Anna", "username": "anna_b"},
            "text": text,
        },
    }
    request = urllib.request.Request(
        base + "/telegram/webhook/",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_link_telegram_and_ask_the_bot(live_server, page, client_user, settings):
    settings.KABINET_TELEGRAM_BACKEND = "file"
    settings.KABINET_TELEGRAM_BOT_USERNAME = "kabinet_test_bot"
    settings.KABINET_TELEGRAM_WEBHOOK_SECRET = SECRET
    base = live_server.url
    page.context.add_cookies([{"name": "kabinet_language", "value": "en", "url": base}])
    browser_login(page, base, client_user.email, PASSWORD)
    page.goto(base + "/account/notifications/settings/")
    page.get_by_test_id("telegram-link").click()
    link = page.get_by_test_id("telegram-deep-link")
    href = link.get_attribute("href")
    assert href and href.startswith("https://t.me/kabinet_test_bot?start=")
    expect(page.get_by_test_id("telegram-deep-link-box").locator("svg")).to_have_count(1)
    axe = Axe()
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        violations = axe.run(page).response["violations"]
        assert violations == [], [v["id"] for v in violations]

    answer = telegram_sends(base, 1, "/start " + href.split("start=")[1])
    assert answer["method"] == "sendMessage" and "linked to" in answer["text"]
    page.get_by_role("link", name="I have pressed Start").click()
    assert "Linked to @anna_b in Telegram" in page.get_by_test_id("telegram-linked").inner_text()
    assert TelegramLink.objects.get().user == client_user
    assert "Contract 100001" in telegram_sends(base, 2, "/balance")["text"]

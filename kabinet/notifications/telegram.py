"""Telegram: the Bot API calls Kabinet makes, and the one-time links that tie a user to a chat.

The Bot API (https://core.telegram.org/bots/api) is reached through pyTelegramBotAPI (the
``telebot`` package): its ``Update``/``Message`` objects read the webhook's JSON, its calls
send messages and register the webhook. KABINET_TELEGRAM_BACKEND:

* ``api``: ``<KABINET_TELEGRAM_API_URL>/bot<token>/<method>`` (Telegram's own server by
  default; a stand-in speaking the same API works), with KABINET_TELEGRAM_TIMEOUT.
* ``file`` (the demo, no bot): each message is a file under ``var/telegram/``.

Errors follow the Bot API's "Making requests": ``{"ok": false, "error_code": N,
"description": "..."}``; 403 means the person blocked the bot (no retry helps), 400 "chat not
found" likewise, 429 carries ``parameters.retry_after``; anything else is tried again later.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from .models import (
    Category,
    NotificationPreference,
    TelegramLink,
    TelegramLinkToken,
)

if TYPE_CHECKING:
    from kabinet.accounts.models import User

LINK_TTL = timedelta(minutes=15)
MAX_TEXT = 4096  # the Bot API's limit for a message's text


def configured() -> bool:
    """Whether people can link Telegram: the bot's username is known and, for the real API,
    its token is set."""
    if not settings.KABINET_TELEGRAM_BOT_USERNAME:
        return False
    return settings.KABINET_TELEGRAM_BACKEND == "file" or bool(settings.KABINET_TELEGRAM_BOT_TOKEN)


# --- Links ----------------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(f"telegram-link:{token}".encode()).hexdigest()


def link_start(*, user: User) -> str:
    """A new one-time deep link for ``user``; earlier unused ones stop working."""
    token = secrets.token_urlsafe(24)  # 32 characters of A-Z a-z 0-9 _ - (start allows 64)
    with transaction.atomic():
        TelegramLinkToken.objects.filter(user=user, used_at__isnull=True).delete()
        TelegramLinkToken.objects.create(user=user, token_hash=_hash(token))
    return deep_link(token)


def link_pending(link: str) -> bool:
    """Whether a deep link made by ``link_start`` can still be used (not used, not expired)."""
    token = link.rpartition("?start=")[2]
    return TelegramLinkToken.objects.filter(
        token_hash=_hash(token),
        used_at__isnull=True,
        created_at__gt=timezone.now() - LINK_TTL,
    ).exists()


def deep_link(token: str) -> str:
    return f"https://t.me/{settings.KABINET_TELEGRAM_BOT_USERNAME}?start={token}"


class LinkRefused(Exception):
    pass


def link_finish(*, token: str, chat_id: int, username: str, name: str) -> TelegramLink:
    """Tie the chat to the user whose link this is. The token works once and for 15 minutes;
    a chat linked to another login moves to this one. Raises LinkRefused otherwise."""
    if not token or len(token) > 64:
        raise LinkRefused
    with transaction.atomic():
        row = (
            TelegramLinkToken.objects.select_for_update()
            .select_related("user")
            .filter(token_hash=_hash(token))
            .first()
        )
        now = timezone.now()
        if (
            row is None
            or row.used_at is not None
            or now - row.created_at > LINK_TTL
            or not row.user.is_active
        ):
            raise LinkRefused
        row.used_at = now
        row.save(update_fields=["used_at"])
        TelegramLink.objects.filter(chat_id=chat_id).exclude(user=row.user).delete()
        link, _created = TelegramLink.objects.update_or_create(
            user=row.user,
            defaults={
                "chat_id": chat_id,
                "username": username[:64],
                "name": name[:200],
                "linked_at": now,
            },
        )
        # Balance alerts are why most people link the bot: they come here from now on; the
        # other categories are chosen in the notification settings.
        NotificationPreference.objects.update_or_create(
            user=row.user, category=Category.PAYMENT, defaults={"by_telegram": True}
        )
    return link


def link_remove(*, user: User) -> bool:
    with transaction.atomic():
        removed, _ = TelegramLink.objects.filter(user=user).delete()
        NotificationPreference.objects.filter(user=user, by_telegram=True).update(by_telegram=False)
    return bool(removed)


def linked_user(chat_id: int) -> User | None:
    link = TelegramLink.objects.select_related("user").filter(chat_id=chat_id).first()
    if link is None or not link.user.is_active:
        return None
    return link.user


# --- Sending --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    provider_id: str
    answer: str


class TelegramError(Exception):
    """The Bot API did not take the message. ``message`` is for managers (a message id shown
    in each manager's language), ``permanent`` when no retry can help, ``answer`` is what
    the API said, ``retry_after`` the seconds it asked to wait (429)."""

    def __init__(
        self, message: str, *, permanent: bool, answer: str = "", retry_after: int = 0
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.answer = answer
        self.retry_after = retry_after


BLOCKED = gettext_noop("the person blocked the bot or deleted the chat")
NO_CHAT = gettext_noop("Telegram does not know this chat")
REFUSED = gettext_noop("Telegram refused the message")
BAD_TOKEN = gettext_noop("Telegram does not accept the bot's token")
TOO_OFTEN = gettext_noop("Telegram asked to send less often; it will be tried again")
NO_ANSWER = gettext_noop("Telegram did not answer")
NOT_UNDERSTOOD = gettext_noop("Telegram's answer is not understood")


# telebot (~8 MiB in a Kabinet process) and requests are imported by the functions that talk
# to Telegram, not at start-up.


def _configure_library() -> None:
    from telebot import apihelper

    apihelper.API_URL = settings.KABINET_TELEGRAM_API_URL.rstrip("/") + "/bot{0}/{1}"  # type: ignore[assignment]
    apihelper.CONNECT_TIMEOUT = settings.KABINET_TELEGRAM_TIMEOUT
    apihelper.READ_TIMEOUT = settings.KABINET_TELEGRAM_TIMEOUT


def bot() -> Any:
    """The library's bot object, pointed at KABINET_TELEGRAM_API_URL."""
    import telebot

    _configure_library()
    return telebot.TeleBot(settings.KABINET_TELEGRAM_BOT_TOKEN, threaded=False)


def _error(exc: Exception) -> TelegramError:
    import requests
    from telebot import apihelper

    if isinstance(exc, apihelper.ApiTelegramException):
        answer = json.dumps(exc.result_json, ensure_ascii=False)[:2000]
        code, description = exc.error_code, str(exc.description).lower()
        if code == 403:
            return TelegramError(BLOCKED, permanent=True, answer=answer)
        if code == 400 and "chat not found" in description:
            return TelegramError(NO_CHAT, permanent=True, answer=answer)
        if code == 401:
            return TelegramError(BAD_TOKEN, permanent=False, answer=answer)
        if code == 429:
            parameters = exc.result_json.get("parameters") or {}
            wait = parameters.get("retry_after") if isinstance(parameters, dict) else None
            return TelegramError(
                TOO_OFTEN,
                permanent=False,
                answer=answer,
                retry_after=wait if isinstance(wait, int) and 0 < wait < 86400 else 0,
            )
        return TelegramError(REFUSED, permanent=code == 400, answer=answer)
    if isinstance(exc, apihelper.ApiException):  # HTTP errors and answers that are not JSON
        result = getattr(exc, "result", None)
        text = getattr(result, "text", "") if result is not None else ""
        return TelegramError(NOT_UNDERSTOOD, permanent=False, answer=str(text)[:2000])
    if isinstance(exc, requests.RequestException):
        return TelegramError(NO_ANSWER, permanent=False, answer=type(exc).__name__)
    # The library reads fields of whatever JSON came back: a garbled answer fails there.
    return TelegramError(NOT_UNDERSTOOD, permanent=False, answer=f"{type(exc).__name__}: {exc}")


def send(chat_id: str | int, text: str) -> Sent:
    """Send ``text`` to a chat (plain text: no markup to escape; links are clickable)."""
    text = text[:MAX_TEXT]
    if settings.KABINET_TELEGRAM_BACKEND == "file":
        folder = Path(settings.VAR_DIR) / "telegram"
        folder.mkdir(parents=True, exist_ok=True)
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
        path = folder / f"{stamp}-{chat_id}.txt"
        path.write_text(f"To chat: {chat_id}\n\n{text}\n", encoding="utf-8")
        return Sent(provider_id=path.name, answer="written to " + str(path))
    from telebot import types

    try:
        message = bot().send_message(
            int(chat_id), text, link_preview_options=types.LinkPreviewOptions(is_disabled=True)
        )
        message_id = message.message_id
    except Exception as exc:  # the library raises its own, requests' and parsing errors
        raise _error(exc) from None
    return Sent(provider_id=str(message_id)[:100], answer=f"message_id {message_id}")

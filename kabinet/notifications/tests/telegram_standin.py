"""A stand-in for the Telegram Bot API (https://core.telegram.org/bots/api), written from that
text: "Making requests" — ``https://api.telegram.org/bot<token>/METHOD_NAME``, GET or POST,
parameters in the query string, ``application/x-www-form-urlencoded`` or
``application/json``; the answer is a JSON object with ``ok`` and ``result`` or ``ok: false``
with ``error_code`` and ``description`` (and ``parameters.retry_after`` for flood control).
It knows getMe, sendMessage, setWebhook, deleteWebhook, getWebhookInfo and setMyCommands."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlparse

from .standin import QuietHandler, serving

TOKEN = "123456:TEST-token_for-the-stand-in"
USERNAME = "kabinet_test_bot"


def _fail(code: int, description: str, **extra: Any) -> tuple[int, str]:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    body.update(extra)
    return code, json.dumps(body)


class BotApi:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.blocked: set[int] = set()  # chats whose person blocked the bot
        self.webhook: dict[str, Any] = {}
        self.commands: dict[str, list[dict[str, str]]] = {}
        self.next_message_id = 1
        # What to answer next instead: ("raw", status, body) or ("sleep", seconds)
        self.answers: list[tuple] = []

    def sent(self) -> list[dict[str, Any]]:
        return [params for method, params in self.calls if method == "sendMessage"]

    def handle(self, token: str, method: str, params: dict[str, Any]) -> tuple[int, str]:
        if token != TOKEN:
            return _fail(401, "Unauthorized")
        self.calls.append((method, params))
        if self.answers:
            plan = self.answers.pop(0)
            if plan[0] == "sleep":
                time.sleep(plan[1])
            else:
                return plan[1], plan[2]
        if method == "getMe":
            return self._ok(
                {"id": 123456, "is_bot": True, "first_name": "Kabinet", "username": USERNAME}
            )
        if method == "sendMessage":
            return self._send(params)
        if method == "setWebhook":
            url = str(params.get("url", ""))
            if url and not url.startswith("https://"):
                return _fail(
                    400, "Bad Request: bad webhook: HTTPS url must be provided for webhook"
                )
            self.webhook = {k: v for k, v in params.items()}
            return self._ok(True)
        if method == "deleteWebhook":
            self.webhook = {}
            return self._ok(True)
        if method == "getWebhookInfo":
            return self._ok(
                {
                    "url": self.webhook.get("url", ""),
                    "has_custom_certificate": False,
                    "pending_update_count": 0,
                }
            )
        if method == "setMyCommands":
            commands = params.get("commands")
            if isinstance(commands, str):
                commands = json.loads(commands)
            self.commands[str(params.get("language_code", ""))] = commands
            return self._ok(True)
        return _fail(404, "Not Found")

    def _ok(self, result: Any) -> tuple[int, str]:
        return 200, json.dumps({"ok": True, "result": result})

    def _send(self, params: dict[str, Any]) -> tuple[int, str]:
        text = str(params.get("text", ""))
        try:
            chat_id = int(params.get("chat_id", ""))
        except ValueError:
            return _fail(400, "Bad Request: chat not found")
        if not text:
            return _fail(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            return _fail(400, "Bad Request: message is too long")
        if chat_id in self.blocked:
            return _fail(403, "Forbidden: bot was blocked by the user")
        if chat_id <= 0:
            return _fail(400, "Bad Request: chat not found")
        self.next_message_id += 1
        return self._ok(
            {
                "message_id": self.next_message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "text": text,
            }
        )


@contextmanager
def bot_api() -> Iterator[tuple[BotApi, str]]:
    """The stand-in on a free port; yields it and the base URL for KABINET_TELEGRAM_API_URL."""
    api = BotApi()

    class Handler(QuietHandler):
        def _serve(self, body: bytes) -> None:
            url = urlparse(self.path)
            params: dict[str, Any] = {k: v[0] for k, v in parse_qs(url.query).items()}
            kind = self.headers.get("Content-Type", "").split(";")[0].strip()
            if body and kind == "application/json":
                params.update(json.loads(body))
            elif body and kind == "application/x-www-form-urlencoded":
                params.update({k: v[0] for k, v in parse_qs(body.decode()).items()})
            parts = url.path.strip("/").split("/")
            if len(parts) != 2 or not parts[0].startswith("bot"):
                status, answer = _fail(404, "Not Found")
            else:
                status, answer = api.handle(parts[0][3:], parts[1], params)
            self.answer(status, answer)

        def do_GET(self) -> None:
            self._serve(b"")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self._serve(self.rfile.read(length) if length else b"")

    with serving(Handler) as base:
        yield api, base

"""Play a message to the bot as if a person typed it in Telegram, and print the bot's answer.

The demo has no bot: ``manage.py telegram_message --chat 1001 "/start <token>"`` links the
chat with the token from the profile's deep link, then ``/balance`` and the rest answer as
they would in Telegram. The message goes through the same code as the webhook."""

from __future__ import annotations

import secrets
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from kabinet.chatbot import bot
from kabinet.chatbot.models import ProcessedUpdate


class Command(BaseCommand):
    help = "Send a message to the Telegram bot locally and print its answer."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("text", help='What the person types, e.g. "/balance".')
        parser.add_argument("--chat", type=int, default=1001, help="The Telegram chat id.")
        parser.add_argument("--name", default="Demo", help="The person's first name in Telegram.")
        parser.add_argument("--language", default="ru", help="Telegram's language_code.")

    def handle(self, *args: Any, **options: Any) -> None:
        chat = options["chat"]
        update_id = secrets.randbelow(2**31)
        person = {
            "id": chat,
            "is_bot": False,
            "first_name": options["name"],
            "language_code": options["language"],
        }
        update = bot.parse(
            {
                "update_id": update_id,
                "message": {
                    "message_id": 1,
                    "date": int(timezone.now().timestamp()),
                    "chat": {"id": chat, "type": "private", "first_name": options["name"]},
                    "from": person,
                    "text": options["text"],
                },
            }
        )
        with transaction.atomic():
            ProcessedUpdate.objects.create(update_id=update_id)
            reply = bot.answer(update)
        self.stdout.write(reply.text if reply else "(no answer)")

"""Register the bot's webhook with Telegram (setWebhook with the secret token) and its
command menu (setMyCommands, in each language); ``--info`` shows what Telegram has,
``--delete`` removes the webhook."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse
from django.utils import translation

from kabinet.chatbot.bot import COMMANDS
from kabinet.notifications import telegram


class Command(BaseCommand):
    help = "Register the Telegram bot's webhook and command menu with the Bot API."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--url",
            help="The public HTTPS address (default: KABINET_SITE_URL + /telegram/webhook/).",
        )
        parser.add_argument("--info", action="store_true", help="Show getWebhookInfo and stop.")
        parser.add_argument("--delete", action="store_true", help="Remove the webhook.")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.KABINET_TELEGRAM_BACKEND != "api" or not settings.KABINET_TELEGRAM_BOT_TOKEN:
            raise CommandError(
                "Set KABINET_TELEGRAM_BACKEND=api and KABINET_TELEGRAM_BOT_TOKEN (from @BotFather)."
            )
        from telebot import types

        bot = telegram.bot()
        try:
            me = bot.get_me()
            if options["info"]:
                info = bot.get_webhook_info()
                self.stdout.write(f"bot: @{me.username}")
                self.stdout.write(f"url: {info.url or '(none)'}")
                self.stdout.write(f"pending updates: {info.pending_update_count}")
                if info.last_error_message:
                    self.stdout.write(f"last error: {info.last_error_message}")
                return
            if options["delete"]:
                bot.delete_webhook()
                self.stdout.write(self.style.SUCCESS(f"The webhook of @{me.username} is removed."))
                return
            if not settings.KABINET_TELEGRAM_WEBHOOK_SECRET:
                raise CommandError("Set KABINET_TELEGRAM_WEBHOOK_SECRET first.")
            url = options["url"] or settings.SITE_URL + reverse("site:telegram_webhook")
            if not url.startswith("https://"):
                raise CommandError(f"Telegram sends webhooks to HTTPS addresses only, not {url}.")
            bot.set_webhook(
                url=url,
                secret_token=settings.KABINET_TELEGRAM_WEBHOOK_SECRET,
                allowed_updates=["message"],
            )
            for code, _name in settings.LANGUAGES:
                with translation.override(code):
                    commands = [types.BotCommand(name, str(text)) for name, text in COMMANDS]
                bot.set_my_commands(commands, language_code=code)
            with translation.override(settings.LANGUAGE_CODE):
                bot.set_my_commands([types.BotCommand(n, str(t)) for n, t in COMMANDS])
        except CommandError:
            raise
        except Exception as exc:
            raise CommandError(f"Telegram refused: {exc}") from None
        self.stdout.write(self.style.SUCCESS(f"@{me.username} now sends its updates to {url}"))
        if me.username != settings.KABINET_TELEGRAM_BOT_USERNAME:
            self.stderr.write(
                f"KABINET_TELEGRAM_BOT_USERNAME is {settings.KABINET_TELEGRAM_BOT_USERNAME!r} "
                f"but the token is @{me.username}'s: the links in profiles would open another bot."
            )

from django.utils.translation import gettext_lazy as _

from kabinet.core import appconfig


class ChatbotConfig(appconfig.KabinetAppConfig):
    name = "kabinet.chatbot"
    label = "chatbot"
    verbose_name = _("Telegram bot")
    periodic_jobs = (
        ("chatbot.forget_updates", "kabinet.chatbot.tasks.forget_updates_task", 24 * 3600),
    )

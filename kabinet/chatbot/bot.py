"""The operator's Telegram bot: what it answers, and to whom.

It talks only in private chats and only to people who linked their chat from Kabinet (a
one-time deep link, ``/start <token>``); each answer is about the person's own company.
Answers go back in the webhook's HTTP response (the Bot API allows one method call there),
so answering needs no call to Telegram and cannot fail half-way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from kabinet.accounts.models import Client, ClientStatus, User
from kabinet.continuity.services import open_credit
from kabinet.forecast.selectors import Forecast, client_forecast
from kabinet.lib.money import display_money, round_up_to
from kabinet.notifications import telegram
from kabinet.servicedesk.models import OPEN_STATUSES, ServiceRequest

if TYPE_CHECKING:
    from telebot import types

# What the bot's menu in Telegram lists (setMyCommands), in each language.
COMMANDS = (
    ("balance", gettext_lazy("Balance and how many days it lasts")),
    ("pay", gettext_lazy("A link to pay for the contract")),
    ("requests", gettext_lazy("Your company's open requests")),
    ("help", gettext_lazy("What the bot can do")),
    ("stop", gettext_lazy("Unlink this chat from Kabinet")),
)
REQUESTS_SHOWN = 10


@dataclass(frozen=True)
class Reply:
    chat_id: int
    text: str

    def as_webhook_answer(self) -> dict[str, Any]:
        """The ``sendMessage`` call to put in the webhook's answer."""
        return {
            "method": "sendMessage",
            "chat_id": self.chat_id,
            "text": self.text[: telegram.MAX_TEXT],
            "link_preview_options": {"is_disabled": True},
        }


class NotAnUpdate(ValueError):
    pass


def parse(data: Any) -> types.Update:
    """The library's Update from the webhook's JSON; NotAnUpdate when it is not one."""
    # telebot (~8 MiB in a Kabinet process): imported by the webhook's first update.
    from telebot import types

    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        raise NotAnUpdate
    try:
        return types.Update.de_json(data)
    except Exception:  # the library reads fields as it finds them: any malformed one fails
        raise NotAnUpdate from None


def answer(update: types.Update) -> Reply | None:
    """What to say to an update; None for what the bot does not answer (groups, channels,
    edits, anything that is not a message in a private chat)."""
    message = update.message
    if message is None or message.chat is None or message.chat.type != "private":
        return None
    sender = message.from_user
    chat_id = message.chat.id
    user = telegram.linked_user(chat_id)
    language = user.language if user else _language_of(sender)
    command, argument = _command(message.text or "")
    with translation.override(language):
        if command == "start" and argument:
            return Reply(chat_id, _link(chat_id, argument, sender))
        if user is None:
            return Reply(chat_id, _not_linked())
        text = _for_user(user, command)
    return Reply(chat_id, text)


def _language_of(sender: types.User | None) -> str:
    code = (getattr(sender, "language_code", None) or "").lower()
    known = {code for code, _name in settings.LANGUAGES}
    base = code.split("-")[0]
    return base if base in known else settings.LANGUAGE_CODE


def _command(text: str) -> tuple[str, str]:
    """("balance", "") from "/balance", "/Balance@our_bot"; ("", "") for plain words."""
    text = text.strip()
    if not text.startswith("/"):
        return "", ""
    head, _sep, rest = text[1:].partition(" ")
    name = head.split("@", 1)[0].lower()
    return name, rest.strip()


def _link(chat_id: int, token: str, sender: types.User | None) -> str:
    name = " ".join(
        part
        for part in (getattr(sender, "first_name", ""), getattr(sender, "last_name", ""))
        if part
    )
    try:
        link = telegram.link_finish(
            token=token,
            chat_id=chat_id,
            username=getattr(sender, "username", None) or "",
            name=name,
        )
    except telegram.LinkRefused:
        return _(
            "This link no longer works: each link works once, within 15 minutes. In Kabinet, "
            "open Notifications → Settings and press “Link Telegram” for a new one."
        )
    user = link.user
    with translation.override(user.language):
        return "\n\n".join(
            [
                _("Done: this chat is linked to %(name)s in Kabinet.") % {"name": user.email},
                _(
                    "Notices about payments and the balance will come here. Choose other "
                    "notices in Kabinet: %(url)s"
                )
                % {"url": _url("account:notification_preferences")},
                _menu(user),
            ]
        )


def _not_linked() -> str:
    return _(
        "This bot answers the clients of %(operator)s who linked it in Kabinet. Sign in at "
        "%(url)s, open Notifications → Settings and press “Link Telegram”."
    ) % {
        "operator": settings.KABINET_OPERATOR_NAME,
        "url": _url("account:notification_preferences"),
    }


def _menu(user: User) -> str:
    if not _client_of(user):
        return _(
            "Your notices from Kabinet come here. /stop unlinks this chat. The commands "
            "/balance, /pay and /requests are for the staff of client companies."
        )
    lines = [_("What I can do:")]
    lines += [f"/{name} — {description}" for name, description in COMMANDS]
    return "\n".join(lines)


def _client_of(user: User) -> Client | None:
    if not user.is_client_user:
        return None
    membership = getattr(user, "membership", None)
    return membership.client if membership is not None else None


def _for_user(user: User, command: str) -> str:
    if command == "stop":
        telegram.link_remove(user=user)
        return _("This chat is unlinked from Kabinet. Link it again from Kabinet at any time.")
    client = _client_of(user)
    if client is None or command not in ("balance", "pay", "requests"):
        return _menu(user)
    if command == "balance":
        return _balance(client)
    if command == "pay":
        return _pay(client)
    return _requests(client)


def _url(name: str) -> str:
    return settings.SITE_URL + reverse(name)


def _date(day: dt.date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def _balance(client: Client) -> str:
    forecast = client_forecast(client)
    lines = [
        _("Contract %(contract)s, %(name)s")
        % {"contract": client.contract_number, "name": client.name},
        _("Balance: %(balance)s") % {"balance": display_money(forecast.balance)},
    ]
    if forecast.state == "negative":
        lines.append(_("The balance is used up: top it up to keep the service. /pay"))
    elif forecast.state == "none":
        lines.append(_("Nothing is being spent now."))
    elif forecast.days_left is not None and forecast.days_left > 365:
        lines.append(
            _("Enough for over a year at %(daily)s a day.")
            % {"daily": display_money(forecast.daily_spend)}
        )
    elif forecast.runs_out_on is not None:
        lines.append(
            ngettext(
                "Enough for about %(days)s day (until %(date)s) at %(daily)s a day.",
                "Enough for about %(days)s days (until %(date)s) at %(daily)s a day.",
                forecast.days_left or 0,
            )
            % {
                "days": forecast.days_left,
                "date": _date(forecast.runs_out_on),
                "daily": display_money(forecast.daily_spend),
            }
        )
    if client.status == ClientStatus.SUSPENDED:
        lines.append(_("The service is suspended."))
    credit = open_credit(client)
    if credit is not None:
        lines.append(
            _("Promised payment: %(left)s left to pay back by %(until)s.")
            % {
                "left": display_money(credit.left_to_pay),
                "until": formats.date_format(
                    timezone.localtime(credit.valid_until), "SHORT_DATETIME_FORMAT"
                ),
            }
        )
    lines.append(_url("cabinet:payments"))
    return "\n".join(lines)


def suggested_amount(forecast: Forecast) -> Decimal | None:
    """The debt when the balance is below zero, else a month's spend, rounded up to 100 ₽."""
    if forecast.balance < 0:
        amount = -forecast.balance
    else:
        amount = forecast.monthly_fees + forecast.usage_average
    return round_up_to(amount) if amount > 0 else None


def _pay(client: Client) -> str:
    query = {"contract": client.contract_number}
    amount = suggested_amount(client_forecast(client))
    if amount is not None:
        query["amount"] = f"{amount:.2f}"
    link = f"{_url('site:pay')}?{urlencode(query)}"
    text = _("Pay for contract %(contract)s: %(link)s") % {
        "contract": client.contract_number,
        "link": link,
    }
    if amount is not None:
        text += "\n" + _("The amount %(amount)s is filled in; you can change it.") % {
            "amount": display_money(amount)
        }
    return (
        text
        + "\n"
        + _("Paying by bank transfer? Issue an invoice: %(url)s")
        % {"url": _url("cabinet:invoices")}
    )


def _requests(client: Client) -> str:
    rows = list(
        ServiceRequest.objects.filter(client=client, status__in=OPEN_STATUSES).order_by(
            "-created_at", "-id"
        )[: REQUESTS_SHOWN + 1]
    )
    if not rows:
        return _("Your company has no open requests.") + "\n" + _url("cabinet:requests")
    lines = [_("Open requests:")]
    for row in rows[:REQUESTS_SHOWN]:
        lines.append(
            f"№{row.pk} · {row.get_kind_display()} · {row.get_status_display()} · "
            f"{_date(timezone.localtime(row.created_at).date())}"
        )
    if len(rows) > REQUESTS_SHOWN:
        lines.append(_("…and more in the cabinet."))
    lines.append(_url("cabinet:requests"))
    return "\n".join(lines)

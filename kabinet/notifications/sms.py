"""SMS: phone numbers, message length, and the backends that send (KABINET_SMS_BACKEND).

* ``file`` (the demo): each message is a file under ``var/sms/``, like the demo's mail.
* ``console``: each message is logged.
* ``smsc``: SMSC.ru's HTTP API as published at https://smsc.ru/api/http/ ("Отправка
  SMS-сообщения" and "Ответ сервера и коды ошибок"): ``GET <KABINET_SMS_API_URL>`` (by default
  ``https://smsc.ru/sys/send.php``) with ``login``, ``psw``, ``phones``, ``mes``, ``charset=utf-8``,
  ``fmt=3`` (a JSON answer) and, when set, ``sender``. The answer is ``{"id": N, "cnt": N}``,
  or ``{"error": "...", "error_code": N}`` where N is 1 parameters error, 2 wrong login or
  password, 3 not enough money on the account, 4 address blocked for frequent errors, 5 bad
  date, 6 message forbidden (text or sender name), 7 bad number format, 8 cannot be delivered
  to the number, 9 the same request sent too often.
"""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

logger = logging.getLogger(__name__)

GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
MAX_SEGMENTS = 2


class InvalidPhone(ValueError):
    pass


def normalize_phone(text: str) -> str:
    """A Russian mobile number as digits with the country code: "79123456789". Accepts what
    people type: "+7 (912) 345-67-89", "8 912 345 67 89", "9123456789"."""
    digits = re.sub(r"[\s()\-.]", "", text or "")
    if digits.startswith("+"):
        digits = digits[1:]
    if not digits.isascii() or not digits.isdigit():
        raise InvalidPhone(_("Enter the number with digits only, for example +7 912 345-67-89."))
    if len(digits) == 10:
        digits = "7" + digits
    elif len(digits) == 11 and digits[0] == "8":
        digits = "7" + digits[1:]
    if len(digits) != 11 or not digits.startswith("79"):
        raise InvalidPhone(_("Enter a Russian mobile number: +7 9XX XXX-XX-XX."))
    return digits


def segments(text: str) -> int:
    """How many SMS a text takes: 160/153 characters in GSM-7, 70/67 otherwise (Cyrillic)."""
    gsm = all(ch in GSM7 for ch in text)
    single, multi = (160, 153) if gsm else (70, 67)
    if len(text) <= single:
        return 1
    return math.ceil(len(text) / multi)


def fit(text: str, max_segments: int = MAX_SEGMENTS) -> str:
    """The text cut (with "…") so that it fits in ``max_segments`` messages."""
    text = " ".join(text.split())
    while segments(text) > max_segments:
        text = text[: max(1, len(text) - 8)].rstrip() + "…"
        text = text.replace("……", "…")
    return text


@dataclass(frozen=True)
class Sent:
    provider_id: str
    answer: str


class SmsError(Exception):
    """The gateway did not take the message. ``permanent``: retrying will not help (a bad
    number); otherwise it is tried again later. ``message`` is for managers, in words (an
    untranslated message id, shown in each manager's language); ``answer`` is what the
    gateway said, kept as it was."""

    def __init__(self, message: str, *, permanent: bool, answer: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.answer = answer


class Backend(Protocol):
    def send(self, phone: str, text: str) -> Sent: ...


class FileBackend:
    def send(self, phone: str, text: str) -> Sent:
        folder = Path(settings.VAR_DIR) / "sms"
        folder.mkdir(parents=True, exist_ok=True)
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
        path = folder / f"{stamp}-{phone}.txt"
        path.write_text(f"To: +{phone}\n\n{text}\n", encoding="utf-8")
        return Sent(provider_id=path.name, answer="written to " + str(path))


class ConsoleBackend:
    def send(self, phone: str, text: str) -> Sent:
        logger.info("sms to +%s: %s", phone, text)
        return Sent(provider_id="console", answer="logged")


# SMSC's error codes: (what a manager reads, whether retrying can help).
# The texts are stored untranslated and shown in the manager's language.
SMSC_ERRORS: dict[int, tuple[str, bool]] = {
    1: (gettext_noop("the gateway refused the request's parameters"), True),
    2: (gettext_noop("the gateway does not accept the login or password"), False),
    3: (gettext_noop("there is no money left on the SMS gateway account"), False),
    4: (gettext_noop("the gateway blocked our address for a while after errors"), False),
    5: (gettext_noop("the gateway refused the date format"), True),
    6: (gettext_noop("the gateway forbids this text or sender name"), True),
    7: (gettext_noop("the gateway says the phone number is wrong"), True),
    8: (gettext_noop("the gateway cannot deliver to this number"), True),
    9: (gettext_noop("the gateway refused a repeated request; it will be tried again"), False),
}
NO_ANSWER = gettext_noop("the SMS gateway did not answer")
HTTP_ERROR = gettext_noop("the SMS gateway answered with an HTTP error")
NOT_JSON = gettext_noop("the SMS gateway answered something that is not JSON")
NOT_UNDERSTOOD = gettext_noop("the SMS gateway's answer is not understood")
NO_ID = gettext_noop("the SMS gateway's answer has no message id")
OTHER = gettext_noop("the SMS gateway refused the message")


class SmscBackend:
    def send(self, phone: str, text: str) -> Sent:
        import requests  # only the SMSC backend makes HTTP calls

        params = {
            "login": settings.KABINET_SMSC_LOGIN,
            "psw": settings.KABINET_SMSC_PASSWORD,
            "phones": phone,
            "mes": text,
            "charset": "utf-8",
            "fmt": "3",
        }
        if settings.KABINET_SMS_SENDER:
            params["sender"] = settings.KABINET_SMS_SENDER
        try:
            response = requests.get(
                settings.KABINET_SMS_API_URL, params=params, timeout=settings.KABINET_SMS_TIMEOUT
            )
        except requests.RequestException as exc:
            raise SmsError(NO_ANSWER, permanent=False, answer=type(exc).__name__) from None
        raw = response.text[:2000]
        if response.status_code != 200:
            raise SmsError(
                HTTP_ERROR, permanent=False, answer=f"HTTP {response.status_code}: {raw}"
            )
        try:
            data = json.loads(raw)
        except ValueError:
            raise SmsError(NOT_JSON, permanent=False, answer=raw) from None
        if not isinstance(data, dict):
            raise SmsError(NOT_UNDERSTOOD, permanent=False, answer=raw)
        if "error_code" in data or "error" in data:
            code = data.get("error_code")
            message, permanent = SMSC_ERRORS.get(
                code if isinstance(code, int) else -1, (OTHER, False)
            )
            raise SmsError(message, permanent=permanent, answer=raw)
        if "id" not in data:
            raise SmsError(NO_ID, permanent=False, answer=raw)
        return Sent(provider_id=str(data["id"])[:100], answer=raw)


BACKENDS: dict[str, type[FileBackend] | type[ConsoleBackend] | type[SmscBackend]] = {
    "file": FileBackend,
    "console": ConsoleBackend,
    "smsc": SmscBackend,
}


def backend() -> Backend:
    return BACKENDS[settings.KABINET_SMS_BACKEND]()

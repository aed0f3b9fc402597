"""A user's mobile number for SMS notices: confirmed by a six-digit code sent to it before
any notice goes there. Codes are kept only as a keyed hash, live 10 minutes, allow five
tries, and are sent at most once a minute and ten times a day per user."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from kabinet.core.ratelimit import Limit, ratelimit_enforce

from . import sms
from .models import MobilePhone

if TYPE_CHECKING:
    from kabinet.accounts.models import User

CODE_TTL = timedelta(minutes=10)
CODE_TRIES = 5
RESEND_AFTER = timedelta(seconds=60)


def _hash(user_id: int, number: str, code: str) -> str:
    return salted_hmac("kabinet.mobile-phone", f"{user_id}:{number}:{code}").hexdigest()


def phone_start(*, user: User, raw: str) -> MobilePhone:
    """Take the number the user typed and send it a code (the SMS goes at once: the user is
    waiting). Raises ValidationError with what to do when the number or the gateway fails."""
    try:
        number = sms.normalize_phone(raw)
    except sms.InvalidPhone as exc:
        raise ValidationError(str(exc.args[0])) from None
    now = timezone.now()
    current = MobilePhone.objects.filter(user=user).first()
    if current and current.code_sent_at and now - current.code_sent_at < RESEND_AFTER:
        raise ValidationError(_("A code was sent less than a minute ago. Wait a little, please."))
    ratelimit_enforce(None, "phone_code", Limit(f"phone-code:user:{user.pk}", 10, 24 * 3600))
    code = f"{secrets.randbelow(10**6):06d}"
    text = _("%(operator)s: your confirmation code is %(code)s. Do not tell it to anyone.") % {
        "operator": _operator(),
        "code": code,
    }
    try:
        sms.backend().send(number, text)
    except sms.SmsError:
        raise ValidationError(
            _("The SMS could not be sent right now. Please try again in a few minutes.")
        ) from None
    with transaction.atomic():
        phone, _created = MobilePhone.objects.select_for_update().get_or_create(
            user=user, defaults={"number": number}
        )
        phone.number = number
        phone.confirmed_at = None
        phone.code_hash = _hash(user.pk, number, code)
        phone.code_sent_at = now
        phone.code_attempts = 0
        phone.save()
    return phone


def phone_confirm(*, user: User, code: str) -> MobilePhone:
    """Confirm the number with the code sent to it. A wrong try is counted (and kept: the
    refusal is raised after the count is saved)."""
    with transaction.atomic():
        phone = MobilePhone.objects.select_for_update().filter(user=user).first()
        if phone is None or not phone.code_hash or phone.code_sent_at is None:
            raise ValidationError(_("Enter your mobile number first; a code will be sent to it."))
        if timezone.now() - phone.code_sent_at > CODE_TTL or phone.code_attempts >= CODE_TRIES:
            raise ValidationError(_("This code is no longer valid. Send a new one."))
        phone.code_attempts += 1
        digits = "".join(ch for ch in code if ch.isascii() and ch.isdigit())
        right = constant_time_compare(phone.code_hash, _hash(user.pk, phone.number, digits))
        if right:
            phone.confirmed_at = timezone.now()
            phone.code_hash = ""
        phone.save(update_fields=["confirmed_at", "code_hash", "code_attempts"])
    if not right:
        raise ValidationError(_("The code is not right. Check the SMS and try again."))
    return phone


def phone_remove(*, user: User) -> None:
    MobilePhone.objects.filter(user=user).delete()


def _operator() -> str:
    from django.conf import settings

    return settings.KABINET_OPERATOR_NAME

"""Two-factor sign-in: TOTP codes from an app, recovery codes, and the sign-in code step.

The shared secret is stored encrypted (kabinet.lib.secretbox) and shown only while it is
being set up. A code's time step is remembered so that a code is never accepted twice.
Wrong codes count against the database rate limits, like wrong passwords, and are logged to
the ``kabinet.security`` logger.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kabinet.audit.services import audit_record
from kabinet.core.ratelimit import Limit, ratelimit_hit, ratelimit_reset, ratelimit_retry_after
from kabinet.core.security import security_event
from kabinet.lib.secretbox import SecretUnreadable, seal, unseal
from kabinet.lib.totp import provisioning_uri, random_secret, secret_bytes, totp_match
from kabinet.notifications.models import Category
from kabinet.notifications.services import notification_send

from .models import STAFF_ROLES, Membership, RecoveryCode, TwoFactor, User, hash_token

RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: the codes are read from paper.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
PENDING_SESSION_KEY = "_kabinet_2fa_pending"


class TwoFactorThrottled(Exception):
    """Too many wrong codes: code entry is paused for ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


# --- State ---------------------------------------------------------------------------------


def twofactor_enabled(*, user: User) -> bool:
    return TwoFactor.objects.filter(user=user, enabled_at__isnull=False, secret__gt="").exists()


def twofactor_required_for(*, user: User) -> bool:
    """Staff must use a second factor when KABINET_STAFF_2FA_REQUIRED is on."""
    return bool(settings.KABINET_STAFF_2FA_REQUIRED) and user.role in STAFF_ROLES


def recovery_codes_left(*, user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def normalize_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


# --- Rate limits -----------------------------------------------------------------------------


def _address(request: HttpRequest | None) -> str:
    return request.META.get("REMOTE_ADDR", "unknown") if request is not None else "unknown"


def _limits(user: User, request: HttpRequest | None) -> list[Limit]:
    window = settings.KABINET_LOGIN_WINDOW_SECONDS
    return [
        Limit(f"2fa:account:{user.pk}", settings.KABINET_2FA_MAX_ATTEMPTS, window),
        # Shared with the password step: one address guessing codes and passwords alike.
        Limit(f"login:address:{_address(request)}", settings.KABINET_LOGIN_MAX_PER_ADDRESS, window),
    ]


def _check_throttle(user: User, request: HttpRequest | None) -> None:
    wait = max(ratelimit_retry_after(limit) for limit in _limits(user, request))
    if wait:
        security_event("2fa_throttled", request, account=user.pk)
        raise TwoFactorThrottled(wait)


def _failed(user: User, request: HttpRequest | None, kind: str) -> ValidationError:
    for limit in _limits(user, request):
        ratelimit_hit(limit)
    security_event("2fa_failed", request, account=user.pk, kind=kind)
    return ValidationError(_("The code is not right. Check it and try again."), code="wrong")


def _succeeded(user: User, request: HttpRequest | None) -> None:
    ratelimit_reset(_limits(user, request)[0])


# --- Checking codes --------------------------------------------------------------------------


def _accept_totp(user: User, code: str) -> str:
    """'ok', or why not: 'wrong' or 'replay'. Records the step of an accepted code."""
    with transaction.atomic():
        record = TwoFactor.objects.select_for_update().filter(user=user).first()
        if record is None or not record.is_enabled:
            return "wrong"
        try:
            key = secret_bytes(unseal(record.secret))
        except SecretUnreadable:
            return "unreadable"
        step = totp_match(key, normalize_code(code))
        if step is None:
            return "wrong"
        if step <= record.last_used_step:
            return "replay"
        record.last_used_step = step
        record.save(update_fields=["last_used_step"])
    return "ok"


def _accept_recovery_code(user: User, code: str) -> bool:
    # One UPDATE marks it used: two requests racing with the same code cannot both win.
    used = RecoveryCode.objects.filter(
        user=user, code_hash=hash_token(normalize_code(code)), used_at__isnull=True
    ).update(used_at=timezone.now())
    return used == 1


def _new_recovery_codes(user: User) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = []
    for _i in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _j in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    RecoveryCode.objects.bulk_create(
        [RecoveryCode(user=user, code_hash=hash_token(normalize_code(c))) for c in codes]
    )
    return codes


def _confirm_identity(user: User, confirmation: str, request: HttpRequest | None) -> None:
    """A current code from the app, or the password, before a change to the second factor."""
    _check_throttle(user, request)
    digits = normalize_code(confirmation)
    if digits.isdigit() and len(digits) == 6 and _accept_totp(user, digits) == "ok":
        _succeeded(user, request)
        return
    if confirmation and user.check_password(confirmation):
        _succeeded(user, request)
        return
    raise _failed(user, request, "confirm")


# --- Setting up ------------------------------------------------------------------------------


def twofactor_setup_secret(*, user: User) -> str:
    """The secret being set up (made on first call, the same on a reload), in plain text."""
    with transaction.atomic():
        record, _created = TwoFactor.objects.select_for_update().get_or_create(user=user)
        if record.pending_secret:
            try:
                return unseal(record.pending_secret)
            except SecretUnreadable:
                pass
        secret = random_secret()
        record.pending_secret = seal(secret)
        record.save(update_fields=["pending_secret"])
    return secret


def twofactor_setup_uri(*, user: User, secret: str) -> str:
    return provisioning_uri(secret, account=user.email, issuer=settings.KABINET_OPERATOR_NAME)


def twofactor_enable(*, user: User, code: str, request: HttpRequest | None = None) -> list[str]:
    """Confirm the set-up with a first code; returns the recovery codes to show once."""
    _check_throttle(user, request)
    with transaction.atomic():
        record = TwoFactor.objects.select_for_update().filter(user=user).first()
        if record is None or not record.pending_secret:
            raise ValidationError(
                _("The set-up has expired. Open the page again and scan the new code."),
                code="no_setup",
            )
        try:
            key = secret_bytes(unseal(record.pending_secret))
        except SecretUnreadable:
            key = b""
        step = totp_match(key, normalize_code(code)) if key else None
        if step is not None:
            was_enabled = record.is_enabled
            record.secret = record.pending_secret
            record.pending_secret = ""
            record.enabled_at = timezone.now()
            record.last_used_step = step
            record.save(update_fields=["secret", "pending_secret", "enabled_at", "last_used_step"])
            codes = _new_recovery_codes(user)
            audit_record(
                actor=user,
                action="user.2fa_new_device" if was_enabled else "user.2fa_enable",
                obj=user,
                after={"two_factor": True},
                request=request,
            )
    if step is None:
        raise _failed(user, request, "setup")
    _succeeded(user, request)
    security_event("2fa_enabled", request, account=user.pk)
    return codes


def twofactor_recovery_codes_regenerate(
    *, user: User, confirmation: str, request: HttpRequest | None = None
) -> list[str]:
    if not twofactor_enabled(user=user):
        raise ValidationError(_("Two-factor sign-in is off."), code="off")
    _confirm_identity(user, confirmation, request)
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        audit_record(actor=user, action="user.2fa_recovery_codes", obj=user, request=request)
    return codes


def twofactor_disable(*, user: User, confirmation: str, request: HttpRequest | None = None) -> None:
    """The user turns their own second factor off (not allowed where it is required)."""
    if twofactor_required_for(user=user):
        raise ValidationError(
            _("Two-factor sign-in is required for your role and cannot be turned off."),
            code="required",
        )
    if not twofactor_enabled(user=user):
        raise ValidationError(_("Two-factor sign-in is off."), code="off")
    _confirm_identity(user, confirmation, request)
    with transaction.atomic():
        TwoFactor.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()
        audit_record(
            actor=user,
            action="user.2fa_disable",
            obj=user,
            before={"two_factor": True},
            after={"two_factor": False},
            request=request,
        )
        notification_send(
            users=[user],
            category=Category.SYSTEM,
            title=gettext_lazy("Two-factor sign-in is turned off"),
            body=gettext_lazy(
                "Signing in now needs only your password. If it was not you, change your "
                "password and turn two-factor sign-in on again."
            ),
            url=reverse("account:twofactor"),
        )
    security_event("2fa_disabled", request, account=user.pk)


def twofactor_reset(
    *, actor: User | None, user: User, reason: str, request: HttpRequest | None = None
) -> None:
    """Turn off someone's second factor (a lost phone and lost recovery codes), with a reason.

    A manager resets a client user's; ``actor`` None is an administrator at the command line
    (``manage.py twofactor_reset``), who may reset anyone's, staff included.
    """
    if actor is not None and not (actor.is_manager and user.is_client_user):
        raise PermissionDenied
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the second factor is reset.")})
    membership = Membership.objects.select_related("client").filter(user=user).first()
    with transaction.atomic():
        record = TwoFactor.objects.select_for_update().filter(user=user).first()
        if record is None or not record.is_enabled:
            raise ValidationError(_("This user has no second factor to reset."), code="off")
        record.delete()
        RecoveryCode.objects.filter(user=user).delete()
        audit_record(
            actor=actor,
            action="user.2fa_reset",
            # On the client, so it shows in the client's history where managers look.
            obj=membership.client if membership is not None else user,
            before={"user": user.email, "two_factor": True},
            after={"user": user.email, "two_factor": False},
            comment=reason,
            request=request,
        )
        notification_send(
            users=[user],
            category=Category.SYSTEM,
            title=gettext_lazy("Your two-factor sign-in was reset"),
            body=gettext_lazy(
                "%(manager)s turned off your two-factor sign-in. Reason: %(reason)s. "
                "You sign in with your password only; turn it on again under "
                "Profile → Two-factor sign-in."
            ),
            params={
                "manager": actor.display_name if actor is not None else _("The administrator"),
                "reason": reason,
            },
            url=reverse("account:twofactor"),
        )
    security_event("2fa_reset", request, account=user.pk)


# --- The sign-in code step ---------------------------------------------------------------------


def login_pending_start(*, request: HttpRequest, user: User, next_url: str) -> None:
    """The password was right: remember who is half signed in (not signed in yet)."""
    request.session[PENDING_SESSION_KEY] = {
        "user": user.pk,
        "at": int(time.time()),
        "next": next_url,
        # A password change meanwhile voids the half sign-in.
        "hash": user.get_session_auth_hash(),
    }


def login_pending_user(*, request: HttpRequest) -> tuple[User, str] | None:
    """Who is half signed in and where they go next; None when nobody or it expired."""
    pending: Any = request.session.get(PENDING_SESSION_KEY)
    if not isinstance(pending, dict):
        return None
    if int(time.time()) - int(pending.get("at", 0)) > settings.KABINET_2FA_PENDING_SECONDS:
        request.session.pop(PENDING_SESSION_KEY, None)
        return None
    user_id = pending.get("user")
    if not isinstance(user_id, int):
        return None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or user.get_session_auth_hash() != pending.get("hash"):
        request.session.pop(PENDING_SESSION_KEY, None)
        return None
    return user, str(pending.get("next", ""))


def login_pending_clear(*, request: HttpRequest) -> None:
    request.session.pop(PENDING_SESSION_KEY, None)


def twofactor_check_login(
    *, user: User, code: str, recovery: bool, request: HttpRequest | None = None
) -> None:
    """Check the sign-in's second step. Raises TwoFactorThrottled or ValidationError."""
    _check_throttle(user, request)
    if recovery:
        if not _accept_recovery_code(user, code):
            raise _failed(user, request, "recovery")
        _succeeded(user, request)
        left = recovery_codes_left(user=user)
        security_event("2fa_recovery_used", request, account=user.pk, left=left)
        notification_send(
            users=[user],
            category=Category.SYSTEM,
            title=gettext_lazy("A recovery code was used to sign in"),
            body=gettext_lazy(
                "Recovery codes left: %(left)s. If it was not you, change your password "
                "and make new recovery codes."
            ),
            params={"left": left},
            url=reverse("account:twofactor"),
        )
        return
    outcome = _accept_totp(user, code)
    if outcome != "ok":
        raise _failed(user, request, outcome)
    _succeeded(user, request)

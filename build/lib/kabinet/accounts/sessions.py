"""The user's sign-ins (sessions): recorded at sign-in, listed, ended.

Sessions stay in Django's session store (the database, shared by every app server). A
``UserSession`` row beside each one says whose it is, from where, and when it was last used;
ending it deletes the session from the store, so the device is signed out at its next request.
"""

from __future__ import annotations

import time
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from kabinet.core.security import security_event

from .models import SessionEnd, User, UserSession

SESSION_ROW_KEY = "_kabinet_usid"
SEEN_KEY = "_kabinet_seen"
# Last activity is written at most this often (seconds), not on every request.
TOUCH_SECONDS = 60
# Ended and expired rows are kept this long for the user's own history, then removed.
KEEP_DAYS = 30


def _store(session_key: str) -> SessionBase:
    engine = import_module(settings.SESSION_ENGINE)
    return engine.SessionStore(session_key=session_key)


def _address(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def user_session_start(
    *, request: HttpRequest, user: User, fixed_expiry: bool = True
) -> UserSession:
    """Record a new sign-in. Called from the user_logged_in signal, so every way in counts."""
    now = timezone.now()
    session = request.session
    if fixed_expiry:
        # A sign-in lasts KABINET_SESSION_HOURS from the sign-in, however often it is used
        # (the activity stamp below must not keep extending it).
        session.set_expiry(now + timedelta(seconds=settings.SESSION_COOKIE_AGE))
    if session.session_key is None:
        session.save()
    with transaction.atomic():
        UserSession.objects.filter(
            user=user, last_activity_at__lt=now - timedelta(days=KEEP_DAYS)
        ).exclude(ended_at__isnull=True, expires_at__gt=now).delete()
        row = UserSession.objects.create(
            user=user,
            session_key=session.session_key or "",
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:500],
            ip=_address(request),
            created_at=now,
            last_activity_at=now,
            expires_at=session.get_expiry_date(),
        )
    session[SESSION_ROW_KEY] = row.pk
    session[SEEN_KEY] = int(time.time())
    return row


def user_session_touch(*, request: HttpRequest, user: User) -> bool:
    """Note activity (at most once a minute). False when the session was ended elsewhere."""
    session = request.session
    row_id = session.get(SESSION_ROW_KEY)
    if row_id is None:
        # A sign-in from before sessions were recorded: record it now, keep its expiry.
        user_session_start(request=request, user=user, fixed_expiry=False)
        return True
    now = int(time.time())
    if now - int(session.get(SEEN_KEY, 0)) < TOUCH_SECONDS:
        return True
    alive = UserSession.objects.filter(pk=row_id, user=user, ended_at__isnull=True).update(
        last_activity_at=timezone.now(),
        # The key changes when the password does (update_session_auth_hash); follow it.
        session_key=session.session_key or "",
        ip=_address(request),
    )
    session[SEEN_KEY] = now
    return alive == 1


def current_session_id(request: HttpRequest) -> int | None:
    value = request.session.get(SESSION_ROW_KEY)
    return int(value) if value is not None else None


def user_sessions_active(*, user: User) -> QuerySet[UserSession]:
    return UserSession.objects.filter(
        user=user, ended_at__isnull=True, expires_at__gt=timezone.now()
    ).order_by("-last_activity_at", "-pk")


def _end(rows: list[UserSession], reason: str) -> int:
    for row in rows:
        if row.session_key:
            _store(row.session_key).delete()
    return UserSession.objects.filter(pk__in=[r.pk for r in rows], ended_at__isnull=True).update(
        ended_at=timezone.now(), end_reason=reason
    )


def user_session_end(*, user: User, session_id: int, request: HttpRequest | None = None) -> int:
    """End one of the user's own other sessions; returns how many ended (0 or 1)."""
    current = current_session_id(request) if request is not None else None
    if session_id == current:
        return 0
    with transaction.atomic():
        rows = list(user_sessions_active(user=user).select_for_update().filter(pk=session_id))
        ended = _end(rows, SessionEnd.ENDED)
    if ended:
        security_event("session_ended", request, account=user.pk, session=session_id)
    return ended


def user_sessions_end_others(
    *,
    user: User,
    keep_id: int | None,
    reason: str = SessionEnd.ENDED,
    request: HttpRequest | None = None,
) -> int:
    """End every session of the user but ``keep_id`` (None: all of them)."""
    with transaction.atomic():
        qs = UserSession.objects.select_for_update().filter(user=user, ended_at__isnull=True)
        if keep_id is not None:
            qs = qs.exclude(pk=keep_id)
        ended = _end(list(qs), reason)
    if ended:
        security_event("sessions_ended", request, account=user.pk, count=ended, reason=reason)
    return ended


def user_session_signed_out(*, request: HttpRequest) -> None:
    row_id = current_session_id(request)
    if row_id is not None:
        UserSession.objects.filter(pk=row_id, ended_at__isnull=True).update(
            ended_at=timezone.now(), end_reason=SessionEnd.SIGN_OUT
        )


def user_password_change(*, request: HttpRequest, user: User, password: str) -> int:
    """Change the password; this session stays signed in, every other one ends."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        update_session_auth_hash(request, user)
        keep = current_session_id(request)
        if keep is not None:
            UserSession.objects.filter(pk=keep).update(
                session_key=request.session.session_key or ""
            )
        ended = user_sessions_end_others(
            user=user, keep_id=keep, reason=SessionEnd.PASSWORD, request=request
        )
    security_event("password_changed", request, account=user.pk)
    return ended


def user_password_was_reset(*, user: User, request: HttpRequest | None = None) -> int:
    """After a reset by e-mail link every session ends: whoever knew the old one is out."""
    return user_sessions_end_others(
        user=user, keep_id=None, reason=SessionEnd.PASSWORD_RESET, request=request
    )

"""Every way of signing in (our login, an invitation, a test's force_login) records a session."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .models import User
from .sessions import user_session_signed_out, user_session_start


def record_sign_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        user_session_start(request=request, user=user)


def record_sign_out(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        user_session_signed_out(request=request)

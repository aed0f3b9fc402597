"""Keeps each signed-in session's "last activity" current, cheaply."""

from __future__ import annotations

from django.contrib.auth import SESSION_KEY, logout
from django.http import HttpRequest, HttpResponse

from .sessions import user_session_touch


class SessionActivityMiddleware:
    """At most one write a minute per session; a session ended elsewhere is signed out here."""

    def __init__(self, get_response):  # type: ignore[no-untyped-def]
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Anonymous visitors carry no signed-in session: nothing is loaded for them.
        signed_in = SESSION_KEY in request.session and request.user.is_authenticated
        if signed_in and not user_session_touch(request=request, user=request.user):  # type: ignore[arg-type]
            logout(request)
        return self.get_response(request)

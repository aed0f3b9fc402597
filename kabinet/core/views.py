from __future__ import annotations

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .security import address_in, client_address, safe_next_url, security_event


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "400.html", status=400)


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    # No context processors that touch the database: the database may be what failed.
    from django.template import loader

    template = loader.get_template("500.html")
    return HttpResponse(template.render({}), status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    # Django's reason names the failed check ("CSRF token missing."), never the token.
    security_event("csrf_failed", request, reason=reason)
    return render(request, "403_csrf.html", status=403)


def _may_see_health_detail(request: HttpRequest) -> bool:
    """Staff, monitoring with the token, or an address on the health allow-list."""
    from django.conf import settings

    token = settings.KABINET_HEALTHZ_TOKEN
    given = request.headers.get("Authorization", "")
    if token and constant_time_compare(given, f"Bearer {token}"):
        return True
    if settings.KABINET_HEALTHZ_ALLOWED_IPS and address_in(
        client_address(request), settings.KABINET_HEALTHZ_ALLOWED_IPS
    ):
        return True
    try:
        user = getattr(request, "user", None)
        return bool(user is not None and user.is_authenticated and user.is_operator_staff)
    except DatabaseError:  # the session could not be read: the database is what is down
        return False


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """Database, scheduler and worker heartbeats, task backlog and billing exchange lag.

    503 when a check fails; never a 500, even with the database gone. A stranger learns
    only ``ok`` or ``fail``: the checks and their figures go to staff, to monitoring with
    ``KABINET_HEALTHZ_TOKEN`` and to the addresses in ``KABINET_HEALTHZ_ALLOWED_IPS``.
    """
    from .health import health_checks

    checks = health_checks()
    failing = [check.name for check in checks if not check.ok]
    status = 503 if failing else 200
    if not _may_see_health_detail(request):
        return JsonResponse({"status": "fail" if failing else "ok"}, status=status)
    return JsonResponse(
        {
            "status": "fail" if failing else "ok",
            "failing": failing,
            "checks": {check.name: check.as_dict() for check in checks},
        },
        status=status,
    )


def switch_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language, and the signed-in user's choice is remembered on their account."""
    from django.conf import settings
    from django.views.i18n import set_language

    response = set_language(request)
    language = request.POST.get("language", "")
    if (
        request.method == "POST"
        and request.user.is_authenticated
        and language in dict(settings.LANGUAGES)
        and request.user.language != language
    ):
        request.user.language = language
        request.user.save(update_fields=["language"])
    return response


def language_link(request: HttpRequest, code: str) -> HttpResponse:
    """Switch language by a plain link (public pages are cached and carry no CSRF token)."""
    from django.conf import settings

    response = redirect(safe_next_url(request, request.GET.get("next"), "/"))
    if code in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite="Lax",
        )
        if request.user.is_authenticated and request.user.language != code:
            request.user.language = code
            request.user.save(update_fields=["language"])
    return response

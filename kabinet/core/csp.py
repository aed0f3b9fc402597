"""A strict Content-Security-Policy: no inline scripts or styles anywhere the site renders.

Wagtail's editor and Django's admin bring their own inline code, so their prefixes get a
policy that still forbids other origins but allows what those admin screens need.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _payer_pages() -> str:
    """The origins the pay form may send a payer to: each enabled payment provider's page."""
    origins = {_origin(settings.KABINET_GATEWAY_URL)}
    if "yookassa" in settings.KABINET_PAYMENT_PROVIDERS:
        origins.update(_origin(url) for url in settings.KABINET_YOOKASSA_CHECKOUT_ORIGINS)
        origins.add(_origin(settings.KABINET_YOOKASSA_API_URL))
    return " ".join(sorted(o for o in origins if o))


def build_policy(*, admin: bool) -> str:
    gateway = _payer_pages()
    inline = " 'unsafe-inline'" if admin else ""
    directives = [
        "default-src 'self'",
        f"script-src 'self'{inline}",
        f"style-src 'self'{inline}",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        # The pay form is answered with a redirect to the payment provider's page.
        f"form-action 'self' {gateway}".strip(),
        # The editor's live preview frames site pages; nobody else may.
        "frame-ancestors 'self'",
        "frame-src 'self'",
    ]
    return "; ".join(directives)


class ContentSecurityPolicyMiddleware:
    ADMIN_PREFIXES = ("/editor/", "/django-admin/")

    def __init__(self, get_response):  # type: ignore[no-untyped-def]
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            admin = request.path_info.startswith(self.ADMIN_PREFIXES)
            response["Content-Security-Policy"] = build_policy(admin=admin)
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from kabinet.accounts.models import Role
from kabinet.notifications.selectors import unread_count


def shell(request: HttpRequest) -> dict[str, Any]:
    """What every layout needs: the user's cabinet, unread count and the help link's target."""
    user = getattr(request, "user", None)
    match = getattr(request, "resolver_match", None)
    url_name = ""
    namespace = ""
    if match is not None:
        namespace = match.namespace or ""
        url_name = match.url_name or ""
    context: dict[str, Any] = {
        "operator_name": settings.KABINET_OPERATOR_NAME,
        "support_phone": settings.KABINET_SUPPORT_PHONE,
        "support_email": settings.KABINET_SUPPORT_EMAIL,
        "screen_name": f"{namespace}:{url_name}" if namespace else url_name,
        # Layout fragments ({% cache fragment_ttl ... using="fragments" %}) are kept for the
        # life of the process; while developing (DEBUG) templates change, so never.
        "fragment_ttl": 0 if settings.DEBUG else None,
    }
    if user is not None and user.is_authenticated:
        cabinet = "client" if user.role == Role.CLIENT else "manager"
        if user.role == Role.EDITOR:
            cabinet = "editor"
        context["user_cabinet"] = cabinet
        context["cabinet_base"] = (
            "layouts/client.html" if cabinet == "client" else "layouts/manager.html"
        )
        help_cabinet = {"cabinet": "client", "manager": "manager"}.get(namespace, cabinet)
        if namespace == "help":
            help_cabinet = (match.kwargs.get("cabinet") if match else None) or help_cabinet
        context["help_url"] = f"/help/{help_cabinet}/screen/{context['screen_name'] or 'index'}/"
        # Read with the signed-in user (accounts.backends); a query of its own otherwise.
        unread = getattr(user, "unread_notifications", None)
        context["unread_notifications"] = unread_count(user.pk) if unread is None else unread
        if user.role == Role.CLIENT:
            membership = getattr(user, "membership", None)
            context["current_client"] = membership.client if membership else None
            context["current_membership"] = membership
    return context

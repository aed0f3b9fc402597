"""Who may enter which cabinet. One place, applied by middleware to every URL under a prefix."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kabinet.accounts.models import Role


@dataclass(frozen=True)
class Area:
    prefix: str
    roles: tuple[str, ...]
    name: object  # lazy text
    who: object


AREAS = (
    Area("/cabinet/", (Role.CLIENT,), _("client cabinet"), _("staff of client companies")),
    Area(
        "/manager/", (Role.MANAGER, Role.ADMIN), _("manager cabinet"), _("the operator's managers")
    ),
    Area(
        "/editor/",
        (Role.EDITOR, Role.MANAGER, Role.ADMIN),
        _("editor cabinet"),
        _("the operator's editors and managers"),
    ),
    Area(
        "/help/manager/",
        (Role.MANAGER, Role.EDITOR, Role.ADMIN),
        _("managers' help"),
        _("the operator's staff"),
    ),
    Area(
        "/help/editor/",
        (Role.MANAGER, Role.EDITOR, Role.ADMIN),
        _("editors' help"),
        _("the operator's staff"),
    ),
    Area(
        "/help/client/",
        (Role.CLIENT, Role.MANAGER, Role.EDITOR, Role.ADMIN),
        _("client help"),
        _("client users and the operator's staff"),
    ),
    Area(
        "/account/",
        (Role.CLIENT, Role.MANAGER, Role.EDITOR, Role.ADMIN),
        _("your account"),
        _("signed-in users"),
    ),
    Area("/django-admin/", (Role.ADMIN,), _("system administration"), _("administrators")),
)


# Open parts of /editor/ that Wagtail needs before login (none: the login is ours).
def area_for(path: str) -> Area | None:
    for area in AREAS:
        if path.startswith(area.prefix):
            return area
    return None


def home_url_for(user: object) -> str:
    role = getattr(user, "role", None)
    if role == Role.CLIENT:
        return "/cabinet/"
    if role in (Role.MANAGER, Role.ADMIN):
        return "/manager/"
    if role == Role.EDITOR:
        return "/editor/"
    return "/"


# Reachable by staff who must set up two-factor sign-in before anything else: the set-up page
# and the help that explains it (read-only).
TWO_FACTOR_SETUP_OPEN = ("/account/two-factor/setup/", "/help/")


def needs_two_factor_setup(request: HttpRequest) -> bool:
    """Staff without a second factor, while KABINET_STAFF_2FA_REQUIRED is on."""
    from kabinet.accounts.twofactor import twofactor_enabled, twofactor_required_for

    user = request.user
    if request.path_info.startswith(TWO_FACTOR_SETUP_OPEN):
        return False
    return twofactor_required_for(user=user) and not twofactor_enabled(user=user)  # type: ignore[arg-type]


def redirect_to_two_factor_setup(request: HttpRequest) -> HttpResponse:
    target = reverse("account:twofactor_setup")
    return HttpResponseRedirect(f"{target}?{urlencode({'next': request.get_full_path()})}")


def forbidden(request: HttpRequest, area: Area | None) -> HttpResponse:
    response = TemplateResponse(
        request,
        "403.html",
        {"area": area, "home_url": home_url_for(request.user)},
        status=403,
    )
    return response.render()


class CabinetAccessMiddleware:
    """Guards every cabinet URL by its prefix, so that a new view cannot forget its guard."""

    def __init__(self, get_response):  # type: ignore[no-untyped-def]
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        area = area_for(request.path_info)
        if area is not None:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if user.role not in area.roles:  # type: ignore[union-attr]
                from kabinet.core.security import security_event

                security_event("access_denied", request, area=area.prefix, reason="role")
                return forbidden(request, area)
            if user.role == Role.CLIENT and not hasattr(user, "membership"):  # type: ignore[union-attr]
                from kabinet.core.security import security_event

                security_event("access_denied", request, area=area.prefix, reason="no_company")
                return forbidden(request, area)
            if needs_two_factor_setup(request):
                return redirect_to_two_factor_setup(request)
        return self.get_response(request)

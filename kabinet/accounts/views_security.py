"""Two-factor sign-in and the sessions page: the sign-in code step and /account/ screens."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from kabinet.accounts.access import home_url_for
from kabinet.accounts.http import AuthedHttpRequest
from kabinet.core.forms import add_service_errors

from . import sessions, twofactor
from .forms import RecoveryCodeForm, TwoFactorCodeForm, TwoFactorConfirmForm, TwoFactorResetForm
from .models import Client, Membership
from .views import finish_login, safe_next, safe_url


def _throttled(
    request: HttpRequest, template: str, context: dict, exc: twofactor.TwoFactorThrottled
) -> HttpResponse:
    minutes = max(1, (exc.retry_after + 59) // 60)
    context["form"].add_error(
        None,
        ngettext(
            "Too many wrong codes. Try again in %(n)d minute.",
            "Too many wrong codes. Try again in %(n)d minutes.",
            minutes,
        )
        % {"n": minutes},
    )
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


# --- Sign-in, second step ---------------------------------------------------------------------


def _login_second_step(request: HttpRequest, *, recovery: bool) -> HttpResponse:
    pending = twofactor.login_pending_user(request=request)
    if pending is None:
        messages.info(
            request, _("The sign-in took too long. Enter your e-mail and password again.")
        )
        return redirect("login")
    user, target = pending
    form_class = RecoveryCodeForm if recovery else TwoFactorCodeForm
    form = form_class(request.POST or None)
    template = "accounts/login_code.html"
    context = {"form": form, "recovery": recovery, "pending_email": user.email}
    if request.method == "POST" and form.is_valid():
        try:
            twofactor.twofactor_check_login(
                user=user, code=form.cleaned_data["code"], recovery=recovery, request=request
            )
        except twofactor.TwoFactorThrottled as exc:
            return _throttled(request, template, context, exc)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            twofactor.login_pending_clear(request=request)
            # The target was checked at the password step; checked again all the same.
            return finish_login(request, user, safe_url(request, target, home_url_for(user)))
    return render(request, template, context)


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    return _login_second_step(request, recovery=False)


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_recovery(request: HttpRequest) -> HttpResponse:
    return _login_second_step(request, recovery=True)


def closed_login(request: HttpRequest) -> HttpResponse:
    """Wagtail's and Django admin's own sign-in pages: everyone signs in through ours."""
    target = reverse("login")
    next_url = request.GET.get("next", "")
    # Our sign-in checks ``next`` again before it redirects anywhere.
    return redirect(f"{target}?{urlencode({'next': next_url})}" if next_url else target)


def closed_password_change(request: HttpRequest) -> HttpResponse:
    return redirect("account:password_change")


# --- /account/two-factor/ ----------------------------------------------------------------------


@never_cache
def twofactor_status(request: AuthedHttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "accounts/security/twofactor.html",
        {
            "enabled": twofactor.twofactor_enabled(user=user),
            "required": twofactor.twofactor_required_for(user=user),
            "codes_left": twofactor.recovery_codes_left(user=user),
        },
    )


def _qr_svg(uri: str) -> SafeString:
    import segno  # imported when a QR code is drawn, not at start-up

    # Inline SVG, not an <img>: no data: URL, nothing for the Content-Security-Policy to block.
    svg = segno.make(uri, error="m").svg_inline(
        scale=5, border=3, dark="#000", light="#fff", title=_("QR code for your app")
    )
    return mark_safe(svg)


@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def twofactor_setup(request: AuthedHttpRequest) -> HttpResponse:
    user = request.user
    form = TwoFactorCodeForm(request.POST or None)
    next_url = safe_next(request, "")
    if request.method == "POST" and form.is_valid():
        try:
            codes = twofactor.twofactor_enable(
                user=user, code=form.cleaned_data["code"], request=request
            )
        except twofactor.TwoFactorThrottled as exc:
            secret = twofactor.twofactor_setup_secret(user=user)
            context = _setup_context(request, form, secret, next_url)
            return _throttled(request, "accounts/security/twofactor_setup.html", context, exc)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return render(
                request,
                "accounts/security/recovery_codes.html",
                {"codes": codes, "first_time": True, "next": next_url or "/account/two-factor/"},
            )
    secret = twofactor.twofactor_setup_secret(user=user)
    return render(
        request,
        "accounts/security/twofactor_setup.html",
        _setup_context(request, form, secret, next_url),
    )


def _setup_context(request: AuthedHttpRequest, form: object, secret: str, next_url: str) -> dict:
    user = request.user
    uri = twofactor.twofactor_setup_uri(user=user, secret=secret)
    return {
        "form": form,
        "qr_svg": _qr_svg(uri),
        # Grouped in fours, as authenticator apps show and accept it.
        "secret_grouped": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "next": next_url,
        "enabled": twofactor.twofactor_enabled(user=user),
        "required": twofactor.twofactor_required_for(user=user),
    }


@sensitive_post_parameters("confirmation")
@never_cache
@require_http_methods(["GET", "POST"])
def twofactor_recovery_codes(request: AuthedHttpRequest) -> HttpResponse:
    form = TwoFactorConfirmForm(request.POST or None)
    template = "accounts/security/twofactor_confirm.html"
    context = {"form": form, "action": "codes"}
    if request.method == "POST" and form.is_valid():
        try:
            codes = twofactor.twofactor_recovery_codes_regenerate(
                user=request.user,
                confirmation=form.cleaned_data["confirmation"],
                request=request,
            )
        except twofactor.TwoFactorThrottled as exc:
            return _throttled(request, template, context, exc)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return render(
                request,
                "accounts/security/recovery_codes.html",
                {"codes": codes, "first_time": False, "next": "/account/two-factor/"},
            )
    return render(request, template, context)


@sensitive_post_parameters("confirmation")
@never_cache
@require_http_methods(["GET", "POST"])
def twofactor_disable(request: AuthedHttpRequest) -> HttpResponse:
    form = TwoFactorConfirmForm(request.POST or None)
    template = "accounts/security/twofactor_confirm.html"
    context = {"form": form, "action": "disable"}
    if request.method == "POST" and form.is_valid():
        try:
            twofactor.twofactor_disable(
                user=request.user,
                confirmation=form.cleaned_data["confirmation"],
                request=request,
            )
        except twofactor.TwoFactorThrottled as exc:
            return _throttled(request, template, context, exc)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Two-factor sign-in is turned off."))
            return redirect("account:twofactor")
    return render(request, template, context)


# --- /account/sessions/ ------------------------------------------------------------------------


def session_list(request: AuthedHttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/security/sessions.html",
        {
            "sessions": list(sessions.user_sessions_active(user=request.user)),
            "current_id": sessions.current_session_id(request),
        },
    )


@require_POST
def session_end(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    row = get_object_or_404(sessions.user_sessions_active(user=request.user), pk=pk)
    if row.pk == sessions.current_session_id(request):
        messages.error(request, _("This is the session you are using. To end it, sign out."))
        return redirect("account:sessions")
    sessions.user_session_end(user=request.user, session_id=row.pk, request=request)
    messages.success(request, _("The session is ended: that device is signed out."))
    return redirect("account:sessions")


@require_POST
def sessions_end_others(request: AuthedHttpRequest) -> HttpResponse:
    ended = sessions.user_sessions_end_others(
        user=request.user, keep_id=sessions.current_session_id(request), request=request
    )
    messages.success(
        request,
        ngettext("%(n)d other session is ended.", "%(n)d other sessions are ended.", ended)
        % {"n": ended},
    )
    return redirect("account:sessions")


# --- Manager: reset a client user's second factor ----------------------------------------------


@require_http_methods(["GET", "POST"])
def client_user_twofactor_reset(request: AuthedHttpRequest, pk: int, user_pk: int) -> HttpResponse:
    client = get_object_or_404(Client, pk=pk)
    membership = get_object_or_404(
        Membership.objects.select_related("user"), client=client, user_id=user_pk
    )
    if not twofactor.twofactor_enabled(user=membership.user):
        messages.info(
            request,
            _("%(user)s does not use two-factor sign-in: there is nothing to reset.")
            % {"user": membership.user.display_name},
        )
        return redirect(client)
    form = TwoFactorResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            twofactor.twofactor_reset(
                actor=request.user,
                user=membership.user,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("The second factor of %(user)s is reset; they are notified.")
                % {"user": membership.user.display_name},
            )
            return redirect(client)
    return render(
        request,
        "accounts/manager/twofactor_reset.html",
        {"client": client, "member": membership, "form": form},
    )

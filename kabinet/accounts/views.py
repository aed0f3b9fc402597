"""Sign-in, invitations and the personal account pages shared by every role."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm, PasswordResetForm, SetPasswordForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from kabinet.accounts.access import area_for, forbidden, home_url_for
from kabinet.accounts.http import AuthedHttpRequest
from kabinet.core.ratelimit import RateLimited, too_many_requests
from kabinet.core.security import client_address, safe_next_url, security_event

from . import services
from .forms import (
    InvitationAcceptForm,
    LoginForm,
    MailServerDown,
    ProfileForm,
    ResetPasswordForm,
)
from .models import User
from .sessions import user_password_change, user_password_was_reset
from .twofactor import login_pending_start, twofactor_enabled

logger = logging.getLogger(__name__)


def safe_url(request: HttpRequest, target: str, fallback: str) -> str:
    """``target`` when it stays on this site, else ``fallback``."""
    return safe_next_url(request, target, fallback)


def safe_next(request: HttpRequest, fallback: str) -> str:
    return safe_next_url(request, request.POST.get("next") or request.GET.get("next"), fallback)


def _activate_user_language(response: HttpResponse, language: str) -> None:
    from django.conf import settings

    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
    )


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.method == "GET":
        return redirect(safe_next(request, home_url_for(request.user)))
    form = LoginForm(request.POST or None)
    next_url = request.POST.get("next") or request.GET.get("next", "")
    if request.method == "POST" and form.is_valid():
        from django.contrib.auth import authenticate

        email = form.cleaned_data["username"].lower()
        address = client_address(request)
        wait = services.login_retry_after(email=email, address=address)
        if wait:
            security_event("login_throttled", request, account=email, retry_after=wait)
            minutes = max(1, (wait + 59) // 60)
            form.add_error(
                None,
                ngettext(
                    "Too many sign-in attempts. Try again in %(n)d minute or reset your password.",
                    "Too many sign-in attempts. Try again in %(n)d minutes or reset your password.",
                    minutes,
                )
                % {"n": minutes},
            )
            response = render(
                request, "accounts/login.html", {"form": form, "next": next_url}, status=429
            )
            response["Retry-After"] = str(wait)
            return response
        user = authenticate(request, username=email, password=form.cleaned_data["password"])
        if user is None:
            services.login_failed(email=email, address=address)
            security_event("login_failed", request, account=email)
            form.add_error(None, _("Wrong e-mail or password, or the login is blocked."))
        else:
            services.login_succeeded(email=email, address=address)
            target = safe_next(request, home_url_for(user))
            if twofactor_enabled(user=user):
                # Not signed in yet: the code step finishes the sign-in.
                login_pending_start(request=request, user=user, next_url=target)
                return redirect("login_code")
            return finish_login(request, user, target)
    return render(request, "accounts/login.html", {"form": form, "next": next_url})


def finish_login(request: HttpRequest, user: User, target: str) -> HttpResponse:
    login(request, user, backend="kabinet.accounts.backends.EmailBackend")
    response = redirect(target)
    _activate_user_language(response, user.language)
    return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, limited per address and per e-mail (counted whether or not
    the e-mail has an account, so the limit tells nothing about who is registered)."""

    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    form_class = ResetPasswordForm

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        try:
            services.password_reset_allow(email=form.cleaned_data["email"], request=self.request)
        except RateLimited as exc:
            form.add_error(None, exc)
            return too_many_requests(self.form_invalid(form), exc.retry_after)
        try:
            return super().form_valid(form)
        except MailServerDown as exc:
            logger.warning("password reset e-mail not sent: %s", exc.__cause__)
            form.add_error(
                None,
                _(
                    "The e-mail with the link could not be sent: the mail server is not "
                    "answering. Try again in a few minutes."
                ),
            )
            return self.form_invalid(form)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("You have signed out."))
    return redirect("login")


@sensitive_post_parameters("password1", "password2")
@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = services.invitation_get_valid(token=token)
    except services.InvitationError as exc:
        return render(request, "accounts/invitation_invalid.html", {"error": exc}, status=410)
    form = InvitationAcceptForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                token=token,
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                password=form.cleaned_data["password1"],
                language=request.LANGUAGE_CODE,
            )
        except services.InvitationError as exc:
            return render(request, "accounts/invitation_invalid.html", {"error": exc}, status=410)
        login(request, user, backend="kabinet.accounts.backends.EmailBackend")
        messages.success(request, _("Welcome! Your account is ready."))
        return redirect("cabinet:home")
    return render(
        request, "accounts/invitation_accept.html", {"form": form, "invitation": invitation}
    )


# --- /account/: the same for every role, in the user's own cabinet layout -----------------


@require_http_methods(["GET", "POST"])
def profile(request: AuthedHttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        messages.success(request, _("Your profile is saved."))
        response = redirect("account:profile")
        _activate_user_language(response, user.language)
        return response
    return render(request, "accounts/profile.html", {"form": form})


@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def password_change(request: AuthedHttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        ended = user_password_change(
            request=request, user=request.user, password=form.cleaned_data["new_password1"]
        )
        text = _("Your password is changed.")
        if ended:
            text += " " + ngettext(
                "%(n)d other session is ended.", "%(n)d other sessions are ended.", ended
            ) % {"n": ended}
        messages.success(request, text)
        return redirect("account:profile")
    return render(request, "accounts/password_change.html", {"form": form})


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's reset by e-mail link; afterwards every session of the account ends."""

    template_name = "accounts/password_reset_confirm.html"

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        response = super().form_valid(form)
        user_password_was_reset(user=form.user, request=self.request)
        return response


def home_redirect(request: HttpRequest) -> HttpResponse:
    """Where "home" is depends on who you are."""
    if not request.user.is_authenticated:
        return redirect("/")
    return redirect(home_url_for(request.user))


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    security_event("access_denied", request, reason="permission_denied")
    return forbidden(request, area_for(request.path_info))

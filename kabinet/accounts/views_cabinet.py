"""The client cabinet's own views over accounts: home and the company's users."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kabinet.accounts.http import AuthedHttpRequest
from kabinet.core.ratelimit import RateLimited, too_many_requests
from kabinet.notifications.selectors import latest as latest_notifications

from . import services
from .forms import InviteForm
from .models import Client, Invitation, Membership


def current_client(request: AuthedHttpRequest) -> Client:
    """The company of the signed-in client user (the access middleware guarantees one)."""
    return request.user.membership.client


def _require_company_admin(request: AuthedHttpRequest) -> Membership:
    membership = request.user.membership
    if not membership.is_admin:
        raise PermissionDenied
    return membership


def home(request: AuthedHttpRequest) -> HttpResponse:
    client = current_client(request)  # with its manager: the sign-in backend joins both
    notifications = latest_notifications(request.user.pk)
    return render(
        request,
        "accounts/cabinet/home.html",
        {"client": client, "notifications": notifications},
    )


@require_http_methods(["GET", "POST"])
def company(request: AuthedHttpRequest) -> HttpResponse:
    client = current_client(request)
    membership = request.user.membership
    form = InviteForm(request.POST or None)
    wait = 0
    if request.method == "POST":
        _require_company_admin(request)
        if form.is_valid():
            try:
                services.invitation_create(
                    actor=request.user,
                    client=client,
                    email=form.cleaned_data["email"],
                    membership_role=form.cleaned_data["membership_role"],
                    request=request,
                )
            except RateLimited as exc:
                form.add_error(None, exc)
                wait = exc.retry_after
            except ValidationError as exc:
                form.add_error("email", exc)
            else:
                messages.success(
                    request,
                    _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]},
                )
                return redirect("cabinet:company")
    members = (
        Membership.objects.filter(client=client).select_related("user").order_by("user__email")
    )
    invitations = Invitation.objects.filter(
        client=client, accepted_at__isnull=True, revoked_at__isnull=True
    )
    response = render(
        request,
        "accounts/cabinet/company.html",
        {
            "client": client,
            "members": members,
            "invitations": invitations,
            "form": form,
            "is_company_admin": membership.is_admin,
        },
    )
    return too_many_requests(response, wait) if wait else response


@require_POST
def member_block(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    _require_company_admin(request)
    member = get_object_or_404(Membership, pk=pk, client=current_client(request))
    active = request.POST.get("active") == "1"
    try:
        services.membership_set_active(
            actor=request.user,
            membership=member,
            active=active,
            request=request,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        text = _("%(user)s can sign in again.") if active else _("%(user)s can no longer sign in.")
        messages.success(request, text % {"user": member.user.display_name})
    return redirect("cabinet:company")


@require_POST
def invitation_revoke(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    _require_company_admin(request)
    invitation = get_object_or_404(Invitation, pk=pk, client=current_client(request))
    services.invitation_revoke(actor=request.user, invitation=invitation, request=request)
    messages.success(request, _("The invitation is withdrawn."))
    return redirect("cabinet:company")

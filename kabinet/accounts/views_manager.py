"""The manager cabinet's views over clients and their users."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kabinet.accounts.http import AuthedHttpRequest
from kabinet.audit.services import audit_entries_for

from . import services
from .forms import ClientForm, ClientSearchForm, ClientStatusForm, InviteForm
from .models import Client, ClientStatus, Invitation, Membership, User

PAGE_SIZE = 25


def search_clients(form: ClientSearchForm, user: User) -> QuerySet[Client]:
    qs = Client.objects.select_related("manager", "forecast")
    if not form.is_valid():
        return qs
    q = form.cleaned_data["q"].strip()
    if q:
        if q.isascii() and q.isdigit():
            # Contract numbers and INNs are digits: an exact or prefix match uses the index.
            qs = qs.filter(
                Q(contract_number__startswith=q)
                | Q(inn__startswith=q)
                | Q(name_search__contains=q.casefold())
            )
        else:
            qs = qs.filter(name_search__contains=q.casefold())
    if form.cleaned_data["status"]:
        qs = qs.filter(status=form.cleaned_data["status"])
    manager = form.cleaned_data["manager"]
    if manager == "me":
        qs = qs.filter(manager=user)
    elif manager:
        qs = qs.filter(manager_id=manager)
    runs_out = form.cleaned_data.get("runs_out")
    if runs_out is not None:
        # The forecast's stored figure (kabinet.forecast): soonest first.
        qs = qs.filter(forecast__days_left__lte=runs_out).order_by(
            "forecast__days_left", "contract_number"
        )
    return qs


def dashboard(request: AuthedHttpRequest) -> HttpResponse:
    counts = dict(
        Client.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    mine = Client.objects.filter(manager=request.user).exclude(status=ClientStatus.CLOSED)
    return render(
        request,
        "accounts/manager/dashboard.html",
        {
            "counts": {s: counts.get(s, 0) for s in ClientStatus.values},
            "statuses": ClientStatus,
            "my_clients": mine.order_by("name")[:10],
            "my_clients_total": mine.count(),
        },
    )


def client_list(request: AuthedHttpRequest) -> HttpResponse:
    form = ClientSearchForm(request.GET or None)
    qs = search_clients(form, request.user)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/manager/client_list.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@require_http_methods(["GET", "POST"])
def client_create(request: AuthedHttpRequest) -> HttpResponse:
    form = ClientForm(request.POST or None, initial={"manager": request.user})
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data[f] for f in form.Meta.fields}
        try:
            client = services.client_create(actor=request.user, data=data, request=request)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Client %(name)s is created.") % {"name": client.name})
            return redirect(client)
    return render(request, "accounts/manager/client_form.html", {"form": form, "client": None})


def client_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(Client.objects.select_related("manager"), pk=pk)
    members = (
        Membership.objects.filter(client=client)
        .select_related("user", "user__two_factor")
        .order_by("user__email")
    )
    invitations = Invitation.objects.filter(client=client).select_related("invited_by")[:20]
    from kabinet.forecast.selectors import client_forecast
    from kabinet.subscriptions.models import Subscription

    subscriptions = Subscription.objects.filter(client=client).select_related("service", "tariff")
    return render(
        request,
        "accounts/manager/client_detail.html",
        {
            "client": client,
            "subscriptions": subscriptions,
            "members": members,
            "invitations": invitations,
            "audit": audit_entries_for(client)[:20],
            "invite_form": InviteForm(),
            "forecast": client_forecast(client),
        },
    )


@require_http_methods(["GET", "POST"])
def client_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(Client, pk=pk)
    form = ClientForm(request.POST or None, instance=client)
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data[f] for f in form.Meta.fields if f != "contract_number"}
        try:
            services.client_update(actor=request.user, client=client, data=data, request=request)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Changes are saved."))
            return redirect(client)
    return render(request, "accounts/manager/client_form.html", {"form": form, "client": client})


STATUS_ACTIONS = {
    "suspend": ClientStatus.SUSPENDED,
    "resume": ClientStatus.ACTIVE,
    "close": ClientStatus.CLOSED,
}


@require_http_methods(["GET", "POST"])
def client_status(request: AuthedHttpRequest, pk: int, action: str) -> HttpResponse:
    client = get_object_or_404(Client, pk=pk)
    target = STATUS_ACTIONS.get(action)
    if target is None:
        return render(request, "404.html", status=404)
    form = ClientStatusForm(request.POST or None, initial={"status": target})
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["status"] != target:
            form.add_error(None, _("The form does not match the action. Reload the page."))
        else:
            try:
                services.client_set_status(
                    actor=request.user,
                    client=client,
                    status=target,
                    reason=form.cleaned_data["reason"],
                    request=request,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request, _("Status changed to “%(status)s”.") % {"status": target.label}
                )
                return redirect(client)
    return render(
        request,
        "accounts/manager/client_status.html",
        {"client": client, "form": form, "action": action, "target": target},
    )


@require_http_methods(["POST"])
def client_invite(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(Client, pk=pk)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            services.invitation_create(
                actor=request.user,
                client=client,
                email=form.cleaned_data["email"],
                membership_role=form.cleaned_data["membership_role"],
                request=request,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]}
            )
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return redirect(client)

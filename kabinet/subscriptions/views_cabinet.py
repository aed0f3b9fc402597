"""The client's services: what is connected, its settings, tariffs they may move to."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kabinet.accounts.http import AuthedHttpRequest
from kabinet.accounts.models import Client
from kabinet.accounts.views_cabinet import current_client
from kabinet.catalog.models import ParameterSpec, ParamType, Tariff, TariffVersion
from kabinet.catalog.selectors import tariffs_offered_to
from kabinet.lib.prepared import prepared
from kabinet.servicedesk.models import OPEN_STATUSES, RequestKind, ServiceRequest
from kabinet.servicedesk.services import request_create, subscription_client_change

from .forms import ParametersForm, TariffChoiceForm
from .models import Subscription, SubscriptionStatus

_VERSIONS = TariffVersion.objects.order_by("-effective_from")
_PREFETCH = (
    Prefetch("service__parameters", queryset=ParameterSpec.objects.order_by("position", "id")),
    Prefetch("tariff__versions", queryset=_VERSIONS),
)


def _subscriptions(client):  # type: ignore[no-untyped-def]
    return (
        Subscription.objects.filter(client=client)
        .select_related("service", "tariff")
        .prefetch_related(*_PREFETCH)
    )


@prepared
def _open_subscriptions(client_id: int) -> QuerySet[Subscription]:
    return (
        Subscription.objects.filter(client_id=client_id)
        .exclude(status=SubscriptionStatus.CLOSED)
        .select_related("service", "tariff")
    )


@prepared
def _closed_subscriptions(client_id: int) -> QuerySet[Subscription]:
    return Subscription.objects.filter(
        client_id=client_id, status=SubscriptionStatus.CLOSED
    ).select_related("service", "tariff")[:20]


@prepared
def _offered(client_id: int) -> QuerySet[Tariff]:
    return tariffs_offered_to(Client(pk=client_id))


def services(request: AuthedHttpRequest) -> HttpResponse:
    client = current_client(request)
    subscriptions = _open_subscriptions.models(client_id=client.pk)
    closed = _closed_subscriptions.models(client_id=client.pk)
    offered = _offered.models(client_id=client.pk)
    # The parameters of every service shown and the prices of every tariff shown (the
    # subscriptions' and the offers'): one query each.
    shown = [*subscriptions, *closed]
    prefetch_related_objects(
        [s.service for s in shown],
        Prefetch("parameters", queryset=ParameterSpec.objects.order_by("position", "id")),
    )
    prefetch_related_objects(
        [*(s.tariff for s in shown), *offered], Prefetch("versions", queryset=_VERSIONS)
    )
    by_service: dict[int, list[Tariff]] = {}
    for tariff in offered:  # each with its service (tariffs_offered_to: on sale only)
        by_service.setdefault(tariff.service_id, []).append(tariff)
    catalog = sorted(
        ((tariffs[0].service, tariffs) for tariffs in by_service.values()),
        key=lambda pair: (pair[0].position, pair[0].name),
    )
    return render(
        request,
        "subscriptions/cabinet/services.html",
        {"subscriptions": subscriptions, "closed": closed, "catalog": catalog, "client": client},
    )


@require_http_methods(["GET", "POST"])
def subscription_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    client = current_client(request)
    subscription = get_object_or_404(_subscriptions(client), pk=pk)
    specs = list(subscription.service.parameters.all())
    editable = [s for s in specs if s.client_editable]
    form = ParametersForm(
        request.POST if request.method == "POST" else None,
        specs=editable,
        values=subscription.parameters,
        for_client=True,
    )
    if request.method == "POST" and subscription.is_open and form.is_valid():
        try:
            applied, service_request = subscription_client_change(
                user=request.user,
                subscription=subscription,
                raw={
                    s.code: request.POST.get(s.code, "off" if s.type == ParamType.BOOL else "")
                    for s in editable
                },
                request=request,
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc)
        else:
            if applied:
                messages.success(request, _("Changes are applied."))
            if service_request is not None:
                messages.info(
                    request,
                    _("Some changes need your manager's approval: request #%(id)s is filed.")
                    % {"id": service_request.pk},
                )
            if not applied and service_request is None:
                messages.info(request, _("Nothing changed."))
            return redirect("cabinet:subscription_detail", pk=subscription.pk)
    tariffs = (
        tariffs_offered_to(client)
        .filter(service=subscription.service)
        .exclude(pk=subscription.tariff_id)
    )
    open_requests = ServiceRequest.objects.filter(
        subscription=subscription, status__in=OPEN_STATUSES
    )
    return render(
        request,
        "subscriptions/cabinet/subscription_detail.html",
        {
            "subscription": subscription,
            "form": form,
            "readonly": [
                (s, subscription.parameters.get(s.code, s.default))
                for s in specs
                if not s.client_editable
            ],
            "tariffs": tariffs,
            "tariff_form": TariffChoiceForm(tariffs=tariffs),
            "open_requests": open_requests,
            "can_change": subscription.is_open and client.status == "active",
        },
    )


def _file(request: AuthedHttpRequest, **kwargs) -> HttpResponse | None:  # type: ignore[no-untyped-def]
    try:
        service_request = request_create(
            user=request.user, client=current_client(request), **kwargs
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return None
    messages.success(
        request,
        _("Request #%(id)s is filed. You will be notified of the decision.")
        % {"id": service_request.pk},
    )
    return redirect("cabinet:request_detail", pk=service_request.pk)


@require_POST
def change_tariff(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    client = current_client(request)
    subscription = get_object_or_404(Subscription.objects.filter(client=client), pk=pk)
    tariffs = tariffs_offered_to(client).filter(service=subscription.service)
    form = TariffChoiceForm(request.POST, tariffs=tariffs)
    if not form.is_valid():
        messages.error(request, _("Choose one of the offered tariffs."))
        return redirect("cabinet:subscription_detail", pk=pk)
    response = _file(
        request,
        kind=RequestKind.CHANGE_TARIFF,
        subscription=subscription,
        tariff=form.cleaned_data["tariff"],
    )
    return response or redirect("cabinet:subscription_detail", pk=pk)


@require_POST
def disconnect(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(
        Subscription.objects.filter(client=current_client(request)), pk=pk
    )
    response = _file(
        request,
        kind=RequestKind.DISCONNECT,
        subscription=subscription,
        text=request.POST.get("text", "")[:2000],
    )
    return response or redirect("cabinet:subscription_detail", pk=pk)


@require_http_methods(["GET", "POST"])
def connect(request: AuthedHttpRequest, tariff_pk: int) -> HttpResponse:
    client = current_client(request)
    tariff = get_object_or_404(tariffs_offered_to(client), pk=tariff_pk)
    # The client sets what they may change; the rest starts at its default.
    specs = [s for s in tariff.service.parameters.all() if s.client_editable]
    form = ParametersForm(request.POST if request.method == "POST" else None, specs=specs)
    if request.method == "POST" and form.is_valid():
        response = _file(request, kind=RequestKind.CONNECT, tariff=tariff, parameters=form.values)
        if response:
            return response
    return render(request, "subscriptions/cabinet/connect.html", {"tariff": tariff, "form": form})

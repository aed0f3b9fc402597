"""The manager cabinet's catalog: services with their parameter schemas, tariffs, prices."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kabinet.accounts.http import AuthedHttpRequest
from kabinet.audit.services import audit_entries_for
from kabinet.core.forms import add_service_errors
from kabinet.lib import is_db_id
from kabinet.subscriptions import tariffs
from kabinet.subscriptions.models import SubscriptionStatus

from . import services
from .forms import (
    ConfirmForm,
    MoveForm,
    OffersForm,
    ParameterForm,
    PriceChangeForm,
    ServiceForm,
    TariffCreateForm,
    TariffForm,
)
from .models import ParameterSpec, Service, Tariff, TariffVersion, Visibility
from .selectors import with_versions

OPEN = ~Q(subscriptions__status=SubscriptionStatus.CLOSED)


def service_list(request: AuthedHttpRequest) -> HttpResponse:
    services_qs = Service.objects.annotate(
        tariff_count=Count("tariffs", filter=Q(tariffs__deleted_at__isnull=True), distinct=True),
        param_count=Count("parameters", distinct=True),
    )
    return render(request, "catalog/manager/service_list.html", {"services": services_qs})


@require_http_methods(["GET", "POST"])
def service_edit(request: AuthedHttpRequest, pk: int | None = None) -> HttpResponse:
    service = get_object_or_404(Service, pk=pk) if pk else None
    form = ServiceForm(request.POST or None, instance=service)
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data[f] for f in form.Meta.fields if not (service and f == "code")}
        try:
            service = services.service_save(
                actor=request.user, service=service, data=data, request=request
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The service is saved."))
            return redirect(service)
    return render(request, "catalog/manager/service_form.html", {"form": form, "service": service})


def service_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    service = get_object_or_404(Service, pk=pk)
    tariffs = with_versions(
        Tariff.objects.alive()
        .filter(service=service)
        .annotate(subscription_count=Count("subscriptions", filter=OPEN))
    )
    return render(
        request,
        "catalog/manager/service_detail.html",
        {
            "service": service,
            "parameters": service.parameters.all(),
            "tariffs": tariffs,
            "audit": audit_entries_for(service)[:20],
        },
    )


@require_http_methods(["GET", "POST"])
def parameter_edit(
    request: AuthedHttpRequest, service_pk: int, pk: int | None = None
) -> HttpResponse:
    service = get_object_or_404(Service, pk=service_pk)
    spec = get_object_or_404(ParameterSpec, pk=pk, service=service) if pk else None
    form = ParameterForm(request.POST or None, instance=spec)
    if request.method == "POST" and form.is_valid():
        try:
            services.parameter_save(
                actor=request.user,
                service=service,
                spec=ParameterSpec.objects.get(pk=spec.pk) if spec else None,
                data=form.spec_data(),
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The parameter is saved."))
            return redirect(service)
    return render(
        request,
        "catalog/manager/parameter_form.html",
        {"form": form, "service": service, "spec": spec},
    )


def tariff_list(request: AuthedHttpRequest) -> HttpResponse:
    qs = with_versions(
        Tariff.objects.alive().annotate(subscription_count=Count("subscriptions", filter=OPEN))
    )
    visibility = request.GET.get("visibility", "")
    if visibility in Visibility.values:
        qs = qs.filter(visibility=visibility)
    service_id = request.GET.get("service", "")
    if is_db_id(service_id):
        qs = qs.filter(service_id=service_id)
    return render(
        request,
        "catalog/manager/tariff_list.html",
        {
            "tariffs": qs,
            "services": Service.objects.all(),
            "visibilities": Visibility.choices,
            "visibility": visibility,
            "service_id": service_id,
        },
    )


@require_http_methods(["GET", "POST"])
def tariff_create(request: AuthedHttpRequest) -> HttpResponse:
    raw = request.GET.get("service") or request.POST.get("service") or ""
    service = get_object_or_404(Service, pk=int(raw)) if is_db_id(raw) else None
    if service is None:
        return render(
            request, "catalog/manager/tariff_pick_service.html", {"services": Service.objects.all()}
        )
    form = TariffCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data[f] for f in TariffForm.Meta.fields}
        try:
            tariff = services.tariff_create(
                actor=request.user,
                service=service,
                data=data,
                prices=form.prices(),
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The tariff is created."))
            return redirect(tariff)
    return render(
        request,
        "catalog/manager/tariff_form.html",
        {"form": form, "service": service, "tariff": None},
    )


def tariff_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    tariff = get_object_or_404(Tariff.objects.select_related("service"), pk=pk)
    impact = tariffs.tariff_impact(tariff=tariff, limit=50)
    return render(
        request,
        "catalog/manager/tariff_detail.html",
        {
            "tariff": tariff,
            "versions": TariffVersion.objects.filter(tariff=tariff).select_related("created_by"),
            "current": tariff.current_version,
            "impact": impact,
            "offers": tariff.offers.select_related("client").order_by("client__contract_number"),
            "audit": audit_entries_for(tariff)[:20],
        },
    )


@require_http_methods(["GET", "POST"])
def tariff_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    tariff = get_object_or_404(Tariff.objects.alive().select_related("service"), pk=pk)
    form = TariffForm(request.POST or None, instance=Tariff.objects.get(pk=pk))
    impact = tariffs.tariff_impact(tariff=tariff, limit=0)
    if request.method == "POST" and form.is_valid():
        data = {f: form.cleaned_data[f] for f in TariffForm.Meta.fields if f != "code"}
        try:
            services.tariff_update(actor=request.user, tariff=tariff, data=data, request=request)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The tariff is saved."))
            return redirect(tariff)
    return render(
        request,
        "catalog/manager/tariff_form.html",
        {"form": form, "service": tariff.service, "tariff": tariff, "impact": impact},
    )


@require_http_methods(["GET", "POST"])
def tariff_prices(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    """Change prices in two steps: see whom it touches, then confirm."""
    tariff = get_object_or_404(Tariff.objects.alive().select_related("service"), pk=pk)
    current = tariff.current_version
    initial = dict(current.prices) if current else {}
    form = PriceChangeForm(request.POST or None, initial=initial)
    impact = None
    if request.method == "POST" and form.is_valid():
        impact = tariffs.tariff_impact(
            tariff=tariff, new_monthly_fee=form.cleaned_data["monthly_fee"]
        )
        if request.POST.get("step") == "confirm":
            try:
                version = tariffs.tariff_change_prices(
                    actor=request.user,
                    tariff=tariff,
                    effective_from=form.cleaned_data["effective_from"],
                    prices=form.prices(),
                    request=request,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("New prices from %(date)s are saved; %(n)s clients are notified.")
                    % {"date": version.effective_from.strftime("%d.%m.%Y"), "n": impact.clients},
                )
                return redirect(tariff)
    return render(
        request,
        "catalog/manager/tariff_prices.html",
        {"tariff": tariff, "form": form, "impact": impact, "current": current},
    )


@require_http_methods(["GET", "POST"])
def tariff_offers(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    tariff = get_object_or_404(Tariff.objects.alive(), pk=pk)
    initial = " ".join(
        tariff.offers.order_by("client__contract_number").values_list(
            "client__contract_number", flat=True
        )
    )
    form = OffersForm(request.POST or None, initial={"contracts": initial})
    if request.method == "POST" and form.is_valid():
        services.tariff_set_offers(
            actor=request.user,
            tariff=tariff,
            clients=form.cleaned_data["contracts"],
            request=request,
        )
        messages.success(request, _("The list of clients is saved."))
        return redirect(tariff)
    return render(request, "catalog/manager/tariff_offers.html", {"tariff": tariff, "form": form})


@require_http_methods(["GET", "POST"])
def tariff_move(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    tariff = get_object_or_404(Tariff.objects.alive().select_related("service"), pk=pk)
    form = MoveForm(request.POST or None, tariff=tariff)
    impact = tariffs.tariff_impact(tariff=tariff)
    if request.method == "POST" and form.is_valid():
        try:
            moved = tariffs.tariff_move_subscriptions(
                actor=request.user,
                source=tariff,
                target=form.cleaned_data["target"],
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(n)s subscriptions are moved; their clients are notified.") % {"n": moved},
            )
            return redirect(tariff)
    return render(
        request,
        "catalog/manager/tariff_move.html",
        {"tariff": tariff, "form": form, "impact": impact},
    )


@require_http_methods(["GET", "POST"])
def tariff_delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    tariff = get_object_or_404(Tariff.objects.alive().select_related("service"), pk=pk)
    form = ConfirmForm(request.POST or None)
    impact = tariffs.tariff_impact(tariff=tariff, limit=0)
    if request.method == "POST" and form.is_valid():
        try:
            tariffs.tariff_delete(actor=request.user, tariff=tariff, request=request)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The tariff is deleted. Its history is kept."))
            return redirect(tariff.service)
    return render(
        request,
        "catalog/manager/tariff_delete.html",
        {"tariff": tariff, "form": form, "impact": impact},
    )

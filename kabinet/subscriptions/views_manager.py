"""Managers connect, suspend and close clients' services and set any parameter by hand."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kabinet.accounts.http import AuthedHttpRequest
from kabinet.accounts.models import Client
from kabinet.audit.services import audit_entries_for
from kabinet.catalog.models import Tariff
from kabinet.catalog.selectors import with_versions
from kabinet.core.forms import add_service_errors

from . import services
from .forms import ParametersForm, StatusForm, TariffChoiceForm
from .models import Subscription


@require_http_methods(["GET", "POST"])
def subscription_create(request: AuthedHttpRequest, client_pk: int) -> HttpResponse:
    client = get_object_or_404(Client, pk=client_pk)
    tariffs = with_versions(Tariff.objects.alive()).order_by("service__position", "name")
    tariff_form = TariffChoiceForm(request.POST or request.GET or None, tariffs=tariffs)
    tariff_form.fields["tariff"].label_from_instance = lambda t: (  # type: ignore[attr-defined]
        f"{t.service.display_name} — {t.display_name} ({t.get_visibility_display()})"
    )
    form = None
    if tariff_form.is_valid():
        tariff = tariff_form.cleaned_data["tariff"]
        specs = list(tariff.service.parameters.all())
        posting = request.method == "POST" and request.POST.get("step") == "connect"
        form = ParametersForm(request.POST if posting else None, specs=specs)
        if posting and form.is_valid():
            try:
                subscription = services.subscription_connect(
                    actor=request.user,
                    client=client,
                    tariff=tariff,
                    parameters=form.values,
                    request=request,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The service is connected."))
                return redirect("manager:subscription_detail", pk=subscription.pk)
    return render(
        request,
        "subscriptions/manager/subscription_create.html",
        {"client": client, "tariff_form": tariff_form, "form": form},
    )


@require_http_methods(["GET", "POST"])
def subscription_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(
        Subscription.objects.select_related("client", "service", "tariff"), pk=pk
    )
    specs = list(subscription.service.parameters.all())
    form = ParametersForm(
        request.POST if request.method == "POST" else None,
        specs=specs,
        values=subscription.parameters,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.subscription_set_parameters(
                actor=request.user,
                subscription=subscription,
                values=form.values,
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Parameters are saved."))
            return redirect("manager:subscription_detail", pk=pk)
    tariffs = Tariff.objects.alive().filter(service=subscription.service)
    tariff_form = TariffChoiceForm(initial={"tariff": subscription.tariff_id}, tariffs=tariffs)
    tariff_form.fields["tariff"].label_from_instance = lambda t: (  # type: ignore[attr-defined]
        f"{t.display_name} ({t.get_visibility_display()})"
    )
    return render(
        request,
        "subscriptions/manager/subscription_detail.html",
        {
            "subscription": subscription,
            "form": form,
            "tariff_form": tariff_form,
            "audit": audit_entries_for(subscription)[:20],
        },
    )


@require_POST
def subscription_tariff(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(Subscription, pk=pk)
    form = TariffChoiceForm(
        request.POST, tariffs=Tariff.objects.alive().filter(service=subscription.service)
    )
    if form.is_valid():
        try:
            services.subscription_change_tariff(
                actor=request.user,
                subscription=subscription,
                tariff=form.cleaned_data["tariff"],
                request=request,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The tariff is changed."))
    else:
        messages.error(request, _("Choose a tariff of this service."))
    return redirect("manager:subscription_detail", pk=pk)


@require_POST
def subscription_status(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    subscription = get_object_or_404(Subscription, pk=pk)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            services.subscription_set_status(
                actor=request.user,
                subscription=subscription,
                status=form.cleaned_data["status"],
                request=request,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The status is changed."))
    else:
        messages.error(request, _("Unknown status."))
    return redirect("manager:subscription_detail", pk=pk)

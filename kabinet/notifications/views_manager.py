"""What happened to the notices sent by SMS: every delivery, its state and the gateway's
error in words, filterable — so a manager sees an empty gateway account or a wrong number."""

from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from kabinet.accounts.http import AuthedHttpRequest

from .models import Channel, Delivery, DeliveryStatus


class DeliveryFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *DeliveryStatus.choices]
    )
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("Any channel")), *Channel.choices]
    )
    contract = forms.CharField(label=_("Contract"), required=False, max_length=20)


@require_GET
def deliveries(request: AuthedHttpRequest) -> HttpResponse:
    form = DeliveryFilterForm(request.GET or None)
    qs = Delivery.objects.select_related("notification__user__membership__client")
    if form.is_valid():
        if form.cleaned_data["status"]:
            qs = qs.filter(status=form.cleaned_data["status"])
        if form.cleaned_data["channel"]:
            qs = qs.filter(channel=form.cleaned_data["channel"])
        contract = form.cleaned_data["contract"].strip()
        if contract:
            qs = qs.filter(notification__user__membership__client__contract_number=contract)
    counts = dict(
        Delivery.objects.order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "notifications/manager/deliveries.html",
        {
            "form": form,
            "page": Paginator(qs, 50).get_page(request.GET.get("page")),
            "counts": counts,
            "query": query.urlencode(),
        },
    )

"""A client's call details for managers: the client's page, from the client's card."""

from __future__ import annotations

from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_GET

from kabinet.accounts.http import AuthedHttpRequest
from kabinet.accounts.models import Client

from . import export
from .forms import CallFilterForm
from .views_cabinet import calls_export, calls_screen


def _urls(pk: int) -> dict[str, str]:
    return {
        "page": reverse("manager:client_calls", args=[pk]),
        "csv": reverse("manager:client_calls_csv", args=[pk]),
        "xlsx": reverse("manager:client_calls_xlsx", args=[pk]),
    }


@require_GET
def client_calls(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(Client, pk=pk)
    form = CallFilterForm(request.GET)
    return calls_screen(request, client, form, template="calls/manager/calls.html", urls=_urls(pk))


@require_GET
def client_calls_csv(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    client = get_object_or_404(Client, pk=pk)
    form = CallFilterForm(request.GET)
    return calls_export(request, client, form, export.csv_response, _urls(pk)["page"])


@require_GET
def client_calls_xlsx(request: AuthedHttpRequest, pk: int) -> HttpResponseBase:
    client = get_object_or_404(Client, pk=pk)
    form = CallFilterForm(request.GET)
    return calls_export(request, client, form, export.xlsx_response, _urls(pk)["page"])

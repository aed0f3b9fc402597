from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kabinet.core.http import AuthedHttpRequest

from . import services
from .forms import DecisionForm, QueueFilterForm
from .models import OPEN_STATUSES, ServiceRequest


def request_queue(request: AuthedHttpRequest) -> HttpResponse:
    form = QueueFilterForm(request.GET or {"status": "open"})
    qs = ServiceRequest.objects.select_related(
        "client", "service", "tariff", "assignee", "subscription__service"
    ).order_by("created_at")
    if form.is_valid():
        status = form.cleaned_data["status"]
        if status == "open":
            qs = qs.filter(status__in=OPEN_STATUSES)
        elif status:
            qs = qs.filter(status=status)
        if form.cleaned_data["kind"]:
            qs = qs.filter(kind=form.cleaned_data["kind"])
        if form.cleaned_data["client"]:
            qs = qs.filter(client__contract_number=form.cleaned_data["client"].strip())
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "servicedesk/manager/queue.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


def request_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    service_request = get_object_or_404(
        ServiceRequest.objects.select_related(
            "client", "service", "tariff", "subscription__tariff", "created_by"
        ),
        pk=pk,
    )
    return render(
        request,
        "servicedesk/manager/request_detail.html",
        {
            "req": service_request,
            "events": service_request.events.select_related("actor"),
            "form": DecisionForm(),
        },
    )


@require_POST
def request_decide(request: AuthedHttpRequest, pk: int, decision: str) -> HttpResponse:
    service_request = get_object_or_404(ServiceRequest, pk=pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The comment is too long."))
        return redirect("manager:request_detail", pk=pk)
    comment = form.cleaned_data["comment"]
    try:
        if decision == "approve":
            services.request_approve(
                actor=request.user, service_request=service_request, comment=comment
            )
            messages.success(request, _("The request is approved and carried out."))
        elif decision == "reject":
            services.request_reject(
                actor=request.user, service_request=service_request, comment=comment
            )
            messages.success(request, _("The request is rejected."))
        else:
            return render(request, "404.html", status=404)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("manager:request_detail", pk=pk)

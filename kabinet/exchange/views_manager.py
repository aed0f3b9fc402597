"""The manager's side of the billing exchange: export, upload, packages, reconciliation."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kabinet.accounts.http import AuthedHttpRequest
from kabinet.accounts.models import Client
from kabinet.payments.selectors import balance_detail

from . import selectors
from .forms import UploadForm
from .models import BillingDocument, Direction, ExchangePackage
from .services import Outcome, exchange_export, exchange_import
from .views_cabinet import pdf_response

PER_PAGE = 25


def _packages(direction: str, page: str | None):  # type: ignore[no-untyped-def]
    queryset = (
        ExchangePackage.objects.filter(direction=direction)
        .select_related("actor")
        .order_by("-created_at", "-id")
    )
    return Paginator(queryset, PER_PAGE).get_page(page)


def exchange(request: AuthedHttpRequest, form: UploadForm | None = None) -> HttpResponse:
    return render(
        request,
        "exchange/manager/exchange.html",
        {
            "form": form or UploadForm(),
            "outgoing": _packages(Direction.SITE_TO_BILLING, request.GET.get("out")),
            "incoming": _packages(Direction.BILLING_TO_SITE, request.GET.get("in")),
            "unconfirmed": selectors.unconfirmed_summary(),
            "clients": Client.objects.order_by("contract_number").only(
                "pk", "contract_number", "name"
            ),
        },
        status=400 if form is not None else 200,
    )


@require_POST
def export(request: AuthedHttpRequest) -> HttpResponse:
    package = exchange_export(actor=request.user)
    messages.success(
        request,
        _("Package %(sequence)s is exported with %(count)s records.")
        % {"sequence": package.sequence, "count": package.record_count},
    )
    return redirect("manager:exchange_package", pk=package.pk)


@require_POST
def upload(request: AuthedHttpRequest) -> HttpResponse:
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return exchange(request, form)
    upload = form.cleaned_data["file"]
    result = exchange_import(actor=request.user, file=upload, file_name=upload.name)
    if result.outcome == Outcome.ALREADY:
        messages.info(
            request,
            _("Package %(sequence)s was already imported; nothing changed.")
            % {"sequence": result.sequence},
        )
        return redirect("manager:exchange")
    if result.outcome == Outcome.REJECTED:
        messages.error(request, _("The package is rejected; nothing was applied."))
    else:
        messages.success(
            request, _("Package %(sequence)s is imported.") % {"sequence": result.sequence}
        )
    assert result.package is not None
    return redirect("manager:exchange_package", pk=result.package.pk)


def package_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    package = get_object_or_404(ExchangePackage.objects.select_related("actor"), pk=pk)
    return render(
        request,
        "exchange/manager/package_detail.html",
        {"package": package, "report_lines": package.report.splitlines()},
    )


def package_download(request: AuthedHttpRequest, pk: int) -> FileResponse:
    package = get_object_or_404(ExchangePackage, pk=pk, direction=Direction.SITE_TO_BILLING)
    if not package.file:
        raise Http404
    return FileResponse(
        package.file.open("rb"),
        as_attachment=True,
        filename=package.file_name,
        content_type="application/zip",
    )


def reconciliation(request: AuthedHttpRequest, client_pk: int) -> HttpResponse:
    client = get_object_or_404(Client, pk=client_pk)
    payments = selectors.payment_lines(client)
    balance = balance_detail(client=client)
    zero = Decimal("0.00")
    totals: dict[str, dict[str, Any]] = {
        state: {"count": 0, "captured": zero, "refunded": zero} for state in _STATES
    }
    for line in payments:
        bucket = totals[line.state]
        bucket["count"] += 1
        bucket["captured" if line.type == "payment.captured" else "refunded"] += line.amount
    return render(
        request,
        "exchange/manager/reconciliation.html",
        {
            "client": client,
            "payments": payments,
            "balance": balance,
            "totals": [(state, _STATES[state], totals[state]) for state in _STATES],
            "documents": BillingDocument.objects.filter(client=client).defer("pdf")[:12],
        },
    )


_STATES = {
    "confirmed": _("Confirmed by billing"),
    "exported": _("Exported, not yet confirmed"),
    "pending": _("Not yet exported"),
}


def document_pdf(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    return pdf_response(get_object_or_404(BillingDocument, pk=pk, has_pdf=True))

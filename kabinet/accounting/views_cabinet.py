"""The client's invoices (issue, see, pay by QR, e-mail, cancel) and reconciliation
statements. A company sees only its own: another company's document is a 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kabinet.accounts.http import AuthedHttpRequest
from kabinet.accounts.models import ClientStatus
from kabinet.accounts.views_cabinet import current_client

from . import requisites, services
from .forms import PRESETS, InvoiceEmailForm, InvoiceForm, StatementForm
from .models import Invoice, InvoiceStatus, Statement
from .qr import qr_svg

PAGE_SIZE = 20


def pdf_response(content: bytes, name: str, *, inline: bool = False) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        content_disposition_header(not inline, name.replace("/", "-")) or "attachment"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def invoices(request: AuthedHttpRequest) -> HttpResponse:
    client = current_client(request)
    page = Paginator(
        Invoice.objects.filter(client=client).select_related("payment"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "accounting/cabinet/invoices.html",
        {"client": client, "page": page, "can_issue": client.status != ClientStatus.CLOSED},
    )


@require_http_methods(["GET", "POST"])
def invoice_new(request: AuthedHttpRequest) -> HttpResponse:
    client = current_client(request)
    if client.status == ClientStatus.CLOSED:
        messages.error(request, _("The contract is closed: no invoices can be issued."))
        return HttpResponseRedirect(reverse("cabinet:invoices"))
    suggestion = services.invoice_suggestion(client)
    form = InvoiceForm(
        request.POST or None,
        initial={"amount": f"{suggestion.amount:.2f}", "period": suggestion.period.isoformat()},
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            invoice = services.invoice_issue(
                client=client,
                actor=request.user,
                amount=form.cleaned_data["amount"],
                period=form.cleaned_data["period"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
            status = 503 if getattr(exc, "code", "") == "requisites" else 400
        else:
            messages.success(
                request, _("Invoice № %(number)s is issued.") % {"number": invoice.number}
            )
            return HttpResponseRedirect(reverse("cabinet:invoice_detail", args=[invoice.pk]))
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "accounting/cabinet/invoice_new.html",
        {
            "client": client,
            "form": form,
            "suggestion": suggestion,
            "requisites_missing": bool(requisites.problems()),
        },
        status=status,
    )


def _client_invoice(request: AuthedHttpRequest, pk: Any) -> Invoice:
    return get_object_or_404(
        Invoice.objects.select_related("client", "payment"), pk=pk, client=current_client(request)
    )


def invoice_detail(request: AuthedHttpRequest, pk: Any) -> HttpResponse:
    invoice = _client_invoice(request, pk)
    return _invoice_page(request, invoice, InvoiceEmailForm())


def _invoice_page(
    request: AuthedHttpRequest, invoice: Invoice, email_form: InvoiceEmailForm, status: int = 200
) -> HttpResponse:
    qr = None
    if invoice.status == InvoiceStatus.ISSUED:
        # Inline SVG: no data: URL for the Content-Security-Policy to block.
        qr = mark_safe(qr_svg(invoice, _("QR code for your bank's app")))
    return render(
        request,
        "accounting/cabinet/invoice_detail.html",
        {"client": invoice.client, "invoice": invoice, "qr": qr, "email_form": email_form},
        status=status,
    )


def invoice_pdf(request: AuthedHttpRequest, pk: Any) -> HttpResponse:
    # fpdf adds ~15 MiB to a process: only the views that build a PDF import the documents.
    from . import documents

    invoice = _client_invoice(request, pk)
    return pdf_response(documents.invoice_pdf(invoice), f"invoice-{invoice.number}.pdf")


@require_POST
def invoice_email(request: AuthedHttpRequest, pk: Any) -> HttpResponse:
    invoice = _client_invoice(request, pk)
    form = InvoiceEmailForm(request.POST)
    if not form.is_valid():
        return _invoice_page(request, invoice, form, status=400)
    services.invoice_email(
        invoice=invoice,
        actor=request.user,
        to=form.cleaned_data["to"],
        note=form.cleaned_data["note"],
    )
    messages.success(
        request,
        _("Invoice № %(number)s is on its way to %(to)s.")
        % {"number": invoice.number, "to": form.cleaned_data["to"]},
    )
    return HttpResponseRedirect(reverse("cabinet:invoice_detail", args=[invoice.pk]))


@require_POST
def invoice_cancel(request: AuthedHttpRequest, pk: Any) -> HttpResponse:
    invoice = _client_invoice(request, pk)
    try:
        services.invoice_cancel(invoice=invoice, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("Invoice № %(number)s is cancelled.") % {"number": invoice.number}
        )
    return HttpResponseRedirect(reverse("cabinet:invoice_detail", args=[invoice.pk]))


@require_http_methods(["GET", "POST"])
def statements(request: AuthedHttpRequest) -> HttpResponse:
    client = current_client(request)
    preset = request.GET.get("period", "")
    preset = preset if preset in PRESETS else "last_quarter"
    form = StatementForm(request.POST or None, client=client, preset=preset)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                statement = services.statement_issue(
                    client=client,
                    actor=request.user,
                    date_from=form.cleaned_data["date_from"],
                    date_to=form.cleaned_data["date_to"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
                status = 503
            else:
                return HttpResponseRedirect(
                    reverse("cabinet:statement_detail", args=[statement.pk])
                )
        else:
            status = 400
    page = Paginator(Statement.objects.filter(client=client), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "accounting/cabinet/statements.html",
        {
            "client": client,
            "form": form,
            "page": page,
            "presets": [(key, label) for key, (label, _period) in PRESETS.items()],
            "preset": preset,
        },
        status=status,
    )


def _client_statement(request: AuthedHttpRequest, pk: Any) -> Statement:
    return get_object_or_404(Statement, pk=pk, client=current_client(request))


def statement_detail(request: AuthedHttpRequest, pk: Any) -> HttpResponse:
    statement = _client_statement(request, pk)
    return render(
        request,
        "accounting/cabinet/statement_detail.html",
        {"client": statement.client, "statement": statement},
    )


def statement_pdf(request: AuthedHttpRequest, pk: Any) -> HttpResponse:
    from . import documents

    statement = _client_statement(request, pk)
    name = f"reconciliation-{statement.date_from:%Y%m%d}-{statement.date_to:%Y%m%d}.pdf"
    return pdf_response(documents.statement_pdf(statement), name)

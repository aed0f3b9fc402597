"""A client's invoices and reconciliation statements, for the manager."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from kabinet.accounts.http import AuthedHttpRequest
from kabinet.accounts.models import Client

from . import requisites
from .models import Invoice, Statement
from .views_cabinet import pdf_response


def client_documents(request: AuthedHttpRequest, client_pk: int) -> HttpResponse:
    client = get_object_or_404(Client, pk=client_pk)
    return render(
        request,
        "accounting/manager/client_documents.html",
        {
            "client": client,
            "invoices": Invoice.objects.filter(client=client).select_related("payment")[:100],
            "statements": Statement.objects.filter(client=client)[:50],
            "requisites_problems": requisites.problems(),
        },
    )


def invoice_pdf(request: AuthedHttpRequest, pk: Any) -> HttpResponse:
    # fpdf adds ~15 MiB to a process: only the views that build a PDF import the documents.
    from . import documents

    invoice = get_object_or_404(Invoice, pk=pk)
    return pdf_response(documents.invoice_pdf(invoice), f"invoice-{invoice.number}.pdf")


def statement_pdf(request: AuthedHttpRequest, pk: Any) -> HttpResponse:
    from . import documents

    statement = get_object_or_404(Statement, pk=pk)
    name = f"reconciliation-{statement.date_from:%Y%m%d}-{statement.date_to:%Y%m%d}.pdf"
    return pdf_response(documents.statement_pdf(statement), name)

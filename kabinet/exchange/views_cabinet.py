"""The client's billing: balance, charges and usage by month, documents."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.http import content_disposition_header

from kabinet.accounts.http import AuthedHttpRequest
from kabinet.accounts.views_cabinet import current_client
from kabinet.payments.selectors import balance_detail

from . import selectors
from .charts import usage_chart
from .models import BillingDocument, Charge


def billing(request: AuthedHttpRequest) -> HttpResponse:
    client = current_client(request)
    months: dict[str, list[Charge]] = defaultdict(list)
    for charge in Charge.objects.filter(client=client).order_by("-period", "id"):
        months[charge.period].append(charge)
    charges = [
        (period, rows, sum((c.amount for c in rows), Decimal("0")))
        for period, rows in months.items()
    ]
    usage = selectors.usage_by_month(client)
    return render(
        request,
        "exchange/cabinet/billing.html",
        {
            "client": client,
            "balance": balance_detail(client=client),
            "charges": charges,
            "usage": usage,
            "chart": usage_chart(usage),
            "documents": BillingDocument.objects.filter(client=client).defer("pdf"),
        },
    )


def pdf_response(document: BillingDocument) -> HttpResponse:
    response = HttpResponse(bytes(document.pdf), content_type="application/pdf")
    name = f"{document.kind}-{document.number}.pdf".replace("/", "-")
    response["Content-Disposition"] = content_disposition_header(True, name) or "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def document_pdf(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    # Another company's document does not exist for this user: 404, never 403.
    document = get_object_or_404(
        BillingDocument, pk=pk, client=current_client(request), has_pdf=True
    )
    return pdf_response(document)

"""The client's billing: balance, charges and usage by month, documents."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from kabinet.accounts.http import AuthedHttpRequest
from kabinet.accounts.models import Client
from kabinet.accounts.views_cabinet import current_client
from kabinet.numbers.selectors import signed_applications
from kabinet.payments.selectors import balance_detail

from . import selectors
from .charts import usage_chart
from .models import BillingDocument, Charge


@dataclass(frozen=True)
class DocumentRow:
    """A line of the company's documents: billing's, and the applications it signed here."""

    title: str
    date: dt.date
    amount: Decimal | None
    url: str


def _documents(client: Client) -> list[DocumentRow]:
    rows = [
        DocumentRow(
            f"{d.get_kind_display()} № {d.number}",
            d.date,
            d.amount,
            reverse("cabinet:document_pdf", args=[d.pk]) if d.has_pdf else "",
        )
        for d in BillingDocument.objects.filter(client=client).defer("pdf")
    ]
    rows += [
        DocumentRow(
            _("Call-labelling application No. %(number)s, version %(version)s")
            % {"number": v.pk, "version": v.version},
            timezone.localdate(v.consented_at),
            None,
            reverse("cabinet:call_label_pdf", args=[v.pk]),
        )
        for v in signed_applications(client)
    ]
    # Newest first; on one day, billing's documents keep their order, before the applications.
    return sorted(rows, key=lambda row: row.date, reverse=True)


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
            "documents": _documents(client),
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

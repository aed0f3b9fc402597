"""The client cabinet: balance, held money, payment history, receipts, and paying."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from kabinet.accounts.http import AuthedHttpRequest
from kabinet.accounts.views_cabinet import current_client
from kabinet.continuity.services import open_credit
from kabinet.forecast.selectors import client_forecast
from kabinet.lib.dates import date_formatter

from . import selectors, services
from .forms import CabinetPayForm
from .gateway import GatewayUnavailable
from .models import Payment, PaymentStatus

PAGE_SIZE = 20
ON_BALANCE = {PaymentStatus.CAPTURED, PaymentStatus.ACCEPTED, PaymentStatus.REFUNDED}


@dataclass(frozen=True)
class PaymentRow:
    """A history row's cells as text, formatted once in Python: through the template's
    filters, includes and translated blocks, twenty rows cost half of the page."""

    pk: uuid.UUID
    created: str
    way: str
    autopay: bool
    reference: str
    amount: str
    status: str
    status_label: str
    partly_refunded: bool
    on_balance: str  # empty: not on the balance
    receipt_url: str


def payment_rows(payments: list[Payment]) -> list[PaymentRow]:
    blank = uuid.UUID(int=0)
    receipt = reverse("cabinet:payment_receipt", args=[blank]).replace(str(blank), "{}")
    created = date_formatter("SHORT_DATETIME_FORMAT")
    return [
        PaymentRow(
            pk=p.pk,
            created=created(timezone.localtime(p.created_at)),
            way=p.get_channel_display(),
            autopay=p.autopay,
            reference=p.reference,
            amount=floatformat(p.amount, "2g"),
            status=p.status,
            status_label=p.get_status_display(),
            partly_refunded=p.status == PaymentStatus.CAPTURED and bool(p.refunded_amount),
            on_balance=floatformat(p.net_amount, "2g") if p.status in ON_BALANCE else "",
            receipt_url=receipt.format(p.pk),
        )
        for p in payments
    ]


def payments(request: AuthedHttpRequest) -> HttpResponse:
    client = current_client(request)
    page = Paginator(selectors.client_payments(client=client), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    page.object_list = payment_rows(list(page.object_list))  # type: ignore[assignment]
    forecast = client_forecast(client)  # the one balance, and how long it lasts
    return render(
        request,
        "payments/cabinet/payments.html",
        {
            "client": client,
            "balance": forecast.balance,
            "forecast": forecast,
            "held": selectors.client_held_amount(client=client),
            "page": page,
            "moneyback_hours": settings.KABINET_MONEYBACK_HOURS,
            "credit": open_credit(client),
        },
    )


def payment_receipt(request: AuthedHttpRequest, pk: Any) -> HttpResponse:
    client = current_client(request)
    payment = get_object_or_404(selectors.client_payments(client=client), pk=pk)
    return render(
        request,
        "payments/cabinet/receipt.html",
        {"client": client, "payment": payment, "ledger": payment.ledger_entries.all()},
    )


@require_http_methods(["GET", "POST"])
def pay(request: AuthedHttpRequest) -> HttpResponse:
    client = current_client(request)
    form = CabinetPayForm(
        request.POST or None,
        initial={"amount": request.GET.get("amount", "")[:20], "email": request.user.email},  # type: ignore[union-attr]
    )
    gateway_down = False
    if request.method == "POST" and form.is_valid():
        try:
            payment = services.payment_start_card(
                client=client,
                amount=form.cleaned_data["amount"],
                email=form.cleaned_data["email"],
                actor=request.user,  # type: ignore[arg-type]
                method=form.cleaned_data["method"],
            )
        except GatewayUnavailable:
            gateway_down = True
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return HttpResponseRedirect(services.payer_next_url(payment))
    return render(
        request,
        "payments/cabinet/pay.html",
        {
            "client": client,
            "form": form,
            "gateway_down": gateway_down,
            "min": settings.KABINET_PAYMENT_MIN,
            "max": settings.KABINET_PAYMENT_MAX,
        },
        status=503 if gateway_down else 200,
    )

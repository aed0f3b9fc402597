"""The manager cabinet: every payment, its signed messages, money-back and refunds."""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kabinet.audit.services import audit_entries_for
from kabinet.core.jinja import choice_labels, render_rows
from kabinet.lib.dates import date_formatter
from kabinet.lib.money import display_money, format_money, money_formatter

from . import selectors, services
from .forms import FlagClearForm, PaymentFilterForm, RefundForm, VoidForm
from .models import Channel, GatewayMessage, Payment, PaymentStatus, Provider

PAGE_SIZE = 25


def _filtered(request: HttpRequest) -> tuple[PaymentFilterForm, Any]:
    form = PaymentFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()
        # Whatever is valid still filters; the invalid fields show their errors.
        filters = getattr(form, "cleaned_data", {})
    return form, selectors.payment_search(filters=filters)


@dataclass(frozen=True)
class PaymentRow:
    """One payment of the list, its values formatted for the page."""

    pk: uuid.UUID
    url: str
    flagged: bool
    created: str
    contract: str
    client: str
    channel: str
    channel_label: str
    provider: str
    provider_label: str
    autopay: bool
    amount: str
    status: str
    status_label: str
    partly_refunded: bool
    captured: str
    refunded: str


def payment_rows(payments: list[Payment]) -> list[PaymentRow]:
    """The page's rows: formats and labels looked up once per page, not per row (Django's
    ``get_FOO_display`` normalises the choices on every call)."""
    money = money_formatter()
    when = date_formatter("SHORT_DATETIME_FORMAT")
    # Payments are named by UUIDs: one reverse() for the page, the ids put in its place.
    blank = str(uuid.UUID(int=0))
    detail = reverse("manager:payment_detail", args=[blank]).replace(blank, "{}")
    channels = choice_labels(Channel)
    providers = choice_labels(Provider)
    statuses = choice_labels(PaymentStatus)
    return [
        PaymentRow(
            pk=payment.pk,
            url=detail.format(payment.pk),
            flagged=payment.flagged,
            created=when(timezone.localtime(payment.created_at)),
            contract=payment.client.contract_number,
            client=Truncator(payment.client.name).chars(40),
            channel=payment.channel,
            channel_label=channels.get(payment.channel, payment.channel),
            provider=payment.provider,
            provider_label=providers.get(payment.provider, payment.provider),
            autopay=payment.autopay,
            amount=money(payment.amount),
            status=payment.status,
            status_label=statuses.get(payment.status, payment.status),
            partly_refunded=payment.status == PaymentStatus.CAPTURED
            and bool(payment.refunded_amount),
            captured=money(payment.captured_amount),
            refunded=money(payment.refunded_amount),
        )
        for payment in payments
    ]


def payment_rows_html(rows: list[PaymentRow]) -> SafeString:
    labels = {
        "date": _("Date"),
        "client": _("Client"),
        "channel": _("Channel"),
        "amount": _("Amount"),
        "status": _("Status"),
        "captured": _("Captured"),
        "refunded": _("Refunded"),
        "autopay": _("autopay"),
        "partly_refunded": _("partly refunded"),
        "flagged": _("Flagged"),
    }
    return render_rows("payments/manager_rows.html", {"rows": rows, "labels": labels})


@require_GET
def payments(request: HttpRequest) -> HttpResponse:
    form, qs = _filtered(request)
    # One grouped pass gives both the totals by provider and the grand totals.
    by_provider = selectors.payment_totals_by_provider(qs)
    totals = selectors.totals_of(by_provider)
    paginator = Paginator(qs, PAGE_SIZE)
    paginator.count = totals["count"]  # the totals counted them already: one pass, not two
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = payment_rows(list(page.object_list))  # type: ignore[assignment]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "payments/manager/payments.html",
        {
            "form": form,
            "page": page,
            "rows_html": payment_rows_html(page.object_list),  # type: ignore[arg-type]
            "totals": totals,
            "by_provider": by_provider,
            "query": query.urlencode(),
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@require_GET
def payments_export(request: HttpRequest) -> StreamingHttpResponse:
    """The filtered list as CSV, streamed so a long period does not fill memory."""
    _form, qs = _filtered(request)
    writer = csv.writer(_Echo())
    header = [
        "payment_id",
        "created_at",
        "contract",
        "client",
        "channel",
        "provider",
        "method",
        "status",
        "amount",
        "captured_amount",
        "refunded_amount",
        "currency",
        "gateway_payment_id",
        "receipt",
        "captured_at",
        "flagged",
        "billing_payment_id",
        "payment_order",
    ]

    def rows() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(header)
        for p in qs.order_by("-created_at", "-id").iterator(chunk_size=500):
            yield writer.writerow(
                [
                    str(p.pk),
                    timezone.localtime(p.created_at).isoformat(timespec="seconds"),
                    p.client.contract_number,
                    _csv_safe(p.client.name),
                    p.channel,
                    p.provider,
                    p.method,
                    p.status,
                    format_money(p.amount),
                    format_money(p.captured_amount),
                    format_money(p.refunded_amount),
                    p.currency,
                    p.gateway_payment_id,
                    p.receipt or "",
                    timezone.localtime(p.captured_at).isoformat(timespec="seconds")
                    if p.captured_at
                    else "",
                    "yes" if p.flagged else "",
                    _csv_safe(p.external_id),
                    _csv_safe(p.reference),
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="payments-{stamp}.csv"'
    return response


def _csv_safe(text: str) -> str:
    # A cell starting with = + - @ is a formula to spreadsheets; neutralise it.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def payment_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    payment = get_object_or_404(
        Payment.objects.select_related("client", "client__manager", "capture_record", "created_by"),
        pk=pk,
    )
    timeline = GatewayMessage.objects.filter(payment=payment).order_by("created_at", "id")
    return render(
        request,
        "payments/manager/payment_detail.html",
        {
            "payment": payment,
            "timeline": timeline,
            "ledger": payment.ledger_entries.order_by("created_at", "id"),
            "operations": payment.operations.select_related("actor"),
            "audit": audit_entries_for(payment)[:20],
            "can_void": payment.can_void(),
            "can_refund": payment.can_refund(),
        },
    )


@require_http_methods(["GET", "POST"])
def payment_void(request: HttpRequest, pk: Any) -> HttpResponse:
    payment = get_object_or_404(Payment.objects.select_related("client"), pk=pk)
    form = VoidForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.payment_void(
                actor=request.user,  # type: ignore[arg-type]
                payment=payment,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The money is returned to the payer."))
            return redirect(payment)
    return render(
        request,
        "payments/manager/payment_action.html",
        {"payment": payment, "form": form, "action": "void", "allowed": payment.can_void()},
    )


@require_http_methods(["GET", "POST"])
def payment_refund(request: HttpRequest, pk: Any) -> HttpResponse:
    payment = get_object_or_404(Payment.objects.select_related("client"), pk=pk)
    form = RefundForm(
        request.POST or None,
        refundable=payment.refundable_amount,
        initial={"amount": format_money(payment.refundable_amount)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.payment_refund(
                actor=request.user,  # type: ignore[arg-type]
                payment=payment,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
                key=form.cleaned_data["key"],
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("%(amount)s is refunded.")
                % {"amount": display_money(form.cleaned_data["amount"])},
            )
            return redirect(payment)
    return render(
        request,
        "payments/manager/payment_action.html",
        {"payment": payment, "form": form, "action": "refund", "allowed": payment.can_refund()},
    )


@require_http_methods(["GET", "POST"])
def payment_flag_clear(request: HttpRequest, pk: Any) -> HttpResponse:
    payment = get_object_or_404(Payment.objects.select_related("client"), pk=pk)
    form = FlagClearForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.payment_flag_clear(
                actor=request.user,  # type: ignore[arg-type]
                payment=payment,
                note=form.cleaned_data["note"],
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The flag is cleared."))
            return redirect(payment)
    return render(
        request,
        "payments/manager/payment_action.html",
        {"payment": payment, "form": form, "action": "flag", "allowed": payment.flagged},
    )

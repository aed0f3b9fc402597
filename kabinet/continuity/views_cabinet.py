"""The client's promised payment (take one within the limit, see the open one and the
history), automatic invoices and card autopay; company administrators change them."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kabinet.accounts.http import AuthedHttpRequest
from kabinet.accounts.views_cabinet import current_client
from kabinet.core.security import client_address
from kabinet.lib.money import display_money
from kabinet.payments.services import payer_next_url

from . import autopay as autopay_services
from . import services
from .forms import AutoInvoiceForm, AutopayAmountForm, AutopayForm, TakeForm
from .models import (
    AUTOPAY_LIVE,
    AutoInvoice,
    AutoInvoicePolicy,
    Autopay,
    AutopayCharge,
    AutopayStatus,
    PromisedPayment,
)


@require_http_methods(["GET", "POST"])
def promised_payment(request: AuthedHttpRequest) -> HttpResponse:
    client = current_client(request)
    is_admin = request.user.membership.is_admin
    offer = services.offer_for(client)
    form = TakeForm(request.POST or None, limit=offer.limit) if offer.available else None
    if form is not None and not request.POST:
        form.initial["amount"] = f"{offer.limit:.2f}"
    status = 200
    if request.method == "POST":
        if not is_admin:
            messages.error(request, _("Only the company's administrators take promised payments."))
            status = 403
        elif form is None:
            messages.error(request, offer.reason)
            status = 400
        elif form.is_valid():
            try:
                credit = services.credit_take(
                    client=client, actor=request.user, amount=form.cleaned_data["amount"]
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    _("The promised payment of %(amount)s is granted. Pay it back in time.")
                    % {"amount": display_money(credit.amount)},
                )
                return HttpResponseRedirect(reverse("cabinet:promised_payment"))
        if status == 200:
            status = 400
    preview_until = timezone.now() + dt.timedelta(days=offer.valid_days)
    return render(
        request,
        "continuity/cabinet/promised_payment.html",
        {
            "offer": offer,
            "form": form,
            "is_admin": is_admin,
            "credit": services.open_credit(client),
            "terms": services.terms_text(offer.limit, preview_until, services.rules_get())
            if offer.available
            else "",
            "history": PromisedPayment.objects.filter(client=client).select_related("granted_by")[
                :50
            ],
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def auto_invoices(request: AuthedHttpRequest) -> HttpResponse:
    client = current_client(request)
    is_admin = request.user.membership.is_admin
    policy = AutoInvoicePolicy.objects.filter(client=client).first()
    initial = (
        {"enabled": policy.enabled, "days": policy.days, "emails": policy.emails}
        if policy
        else {"emails": request.user.email}
    )
    form = AutoInvoiceForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if not is_admin:
            messages.error(request, _("Only the company's administrators change these settings."))
            status = 403
        elif form.is_valid():
            services.auto_invoice_update(client=client, actor=request.user, data=form.cleaned_data)
            messages.success(request, _("The automatic invoice settings are saved."))
            return HttpResponseRedirect(reverse("cabinet:auto_invoices"))
        else:
            status = 400
    auto = (
        AutoInvoice.objects.filter(client=client)
        .select_related("invoice")
        .order_by("-created_at")[:10]
    )
    return render(
        request,
        "continuity/cabinet/auto_invoices.html",
        {"form": form, "is_admin": is_admin, "policy": policy, "issued": auto},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def autopay(request: AuthedHttpRequest) -> HttpResponse:
    """Card autopay: turn it on (terms, then consent, then the card payment that saves the
    card), change the amount, turn it off; the charges made."""
    client = current_client(request)
    is_admin = request.user.membership.is_admin
    live = autopay_services.live_autopay(client)
    low, high = autopay_services.amount_limits()
    offered = bool(autopay_services.provider_code())
    status = 200
    form = AutopayForm(
        request.POST if request.method == "POST" and live is None else None,
        low=low,
        high=high,
        initial={"amount": "3000.00", "first_amount": "1000.00", "email": request.user.email},
    )
    amount_form = AutopayAmountForm(
        request.POST if request.method == "POST" and live is not None else None,
        low=low,
        high=high,
        initial={"amount": f"{live.amount:.2f}"} if live else None,
    )
    consent = ""
    if request.method == "POST":
        if not is_admin:
            messages.error(request, _("Only the company's administrators change autopay."))
            status = 403
        elif live is not None:
            if live.status != AutopayStatus.ACTIVE:
                messages.error(request, _("Autopay is being turned on; wait for the card payment."))
                status = 400
            elif amount_form.is_valid():
                try:
                    autopay_services.autopay_update(
                        client=client,
                        actor=request.user,
                        amount=amount_form.cleaned_data["amount"],
                        request=request,
                    )
                except ValidationError as exc:
                    amount_form.add_error(None, exc)
                else:
                    messages.success(request, _("The autopay amount is changed."))
                    return HttpResponseRedirect(reverse("cabinet:autopay"))
        elif not offered:
            messages.error(request, _("Card autopay is not available."))
            status = 400
        elif form.is_valid():
            data = form.cleaned_data
            consent = autopay_services.consent_text(
                client=client, user=request.user, amount=data["amount"], email=data["email"]
            )
            if data["consent"] and data["accept"]:
                try:
                    payment = autopay_services.autopay_start(
                        client=client,
                        actor=request.user,
                        amount=data["amount"],
                        first_amount=data["first_amount"],
                        email=data["email"],
                        consent=data["consent"],
                        ip=_address(request),
                    )
                except ValidationError as exc:
                    form.add_error(None, exc)
                else:
                    return HttpResponseRedirect(payer_next_url(payment))
            elif data["consent"]:
                form.add_error("accept", _("Tick the box to agree to the terms, or go back."))
            else:
                # First step done: show the exact terms for these values.
                form = AutopayForm(initial={**data, "consent": consent}, low=low, high=high)
                return render(
                    request,
                    "continuity/cabinet/autopay_confirm.html",
                    {"form": form, "consent": consent, "data": data},
                )
        if status == 200:
            status = 400
        if consent and form.errors:
            return render(
                request,
                "continuity/cabinet/autopay_confirm.html",
                {"form": form, "consent": consent, "data": form.cleaned_data},
                status=status,
            )
    charges = (
        AutopayCharge.objects.filter(autopay__client=client)
        .select_related("payment", "autopay")
        .order_by("-created_at")[:20]
    )
    past = Autopay.objects.filter(client=client).exclude(status__in=AUTOPAY_LIVE)[:10]
    return render(
        request,
        "continuity/cabinet/autopay.html",
        {
            "offered": offered,
            "live": live,
            "form": form,
            "amount_form": amount_form,
            "is_admin": is_admin,
            "threshold": autopay_services.threshold_text(client),
            "charges": charges,
            "past": past,
            "max_declines": autopay_services.MAX_DECLINES,
        },
        status=status,
    )


@require_POST
def autopay_off(request: AuthedHttpRequest) -> HttpResponse:
    client = current_client(request)
    try:
        autopay_services.autopay_off(client=client, actor=request.user, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Autopay is off and the card is forgotten."))
    return HttpResponseRedirect(reverse("cabinet:autopay"))


def _address(request: AuthedHttpRequest) -> str | None:
    address = client_address(request)
    return None if address == "unknown" else address

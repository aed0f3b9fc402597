"""The client's promised payment: take one within the limit (company administrators), see the
open one with its deadline and what is left to pay, and the history."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kabinet.accounts.http import AuthedHttpRequest
from kabinet.accounts.views_cabinet import current_client
from kabinet.lib.money import display_money

from . import services
from .forms import AutoInvoiceForm, TakeForm
from .models import AutoInvoice, AutoInvoicePolicy, PromisedPayment


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

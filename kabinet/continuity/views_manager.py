"""Promised payments for managers: every credit, open and overdue first, revoking one with a
reason, the operator's rules and the clients barred from promised payments."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, Q, Sum
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kabinet.accounts.http import AuthedHttpRequest
from kabinet.accounts.models import Client

from . import services
from .forms import BarForm, CreditFilterForm, RevokeForm, RulesForm
from .models import CreditBar, CreditStatus, PromisedPayment


@require_GET
def credits(request: AuthedHttpRequest) -> HttpResponse:
    form = CreditFilterForm(request.GET or None)
    qs = PromisedPayment.objects.select_related("client", "granted_by")
    now = timezone.now()
    state = "open"
    if form.is_valid():
        state = form.cleaned_data["state"] if "state" in request.GET else "open"
        contract = form.cleaned_data["contract"].strip()
        if contract:
            qs = qs.filter(client__contract_number=contract)
    if state == "open":
        qs = qs.filter(status=CreditStatus.OPEN).order_by("valid_until")
    elif state == "overdue":
        qs = qs.filter(
            Q(status=CreditStatus.EXPIRED) | Q(status=CreditStatus.OPEN, valid_until__lt=now)
        )
    elif state in (CreditStatus.PAID, CreditStatus.REVOKED):
        qs = qs.filter(status=state)
    totals = PromisedPayment.objects.aggregate(
        open_count=Count("pk", filter=Q(status=CreditStatus.OPEN)),
        open_sum=Sum("amount", filter=Q(status=CreditStatus.OPEN)),
        overdue_count=Count(
            "pk",
            filter=Q(status=CreditStatus.EXPIRED, paid_amount__lt=F("amount"))
            | Q(status=CreditStatus.OPEN, valid_until__lt=now),
        ),
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "continuity/manager/credits.html",
        {
            "form": form,
            "state": state,
            "page": Paginator(qs, 50).get_page(request.GET.get("page")),
            "totals": totals,
            "query": query.urlencode(),
            "revoke_form": RevokeForm(),
        },
    )


@require_POST
def credit_revoke(request: AuthedHttpRequest, pk: str) -> HttpResponse:
    credit = get_object_or_404(PromisedPayment, pk=pk)
    form = RevokeForm(request.POST)
    back = reverse("manager:credits") + f"?contract={credit.client.contract_number}&state="
    if not form.is_valid():
        messages.error(request, _("Say why the promised payment is revoked."))
        return HttpResponseRedirect(back)
    try:
        services.credit_revoke(
            credit=credit, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The promised payment is revoked; the client is told."))
    return HttpResponseRedirect(back)


@require_http_methods(["GET", "POST"])
def rules(request: AuthedHttpRequest) -> HttpResponse:
    current = services.rules_get()
    form = RulesForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        services.rules_update(actor=request.user, data=form.cleaned_data)
        messages.success(request, _("The rules for promised payments are saved."))
        return HttpResponseRedirect(reverse("manager:credit_rules"))
    return _rules_page(request, form=form, status=400 if request.method == "POST" else 200)


def _rules_page(
    request: AuthedHttpRequest,
    *,
    form: RulesForm | None = None,
    bar_form: BarForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "continuity/manager/rules.html",
        {
            "form": form or RulesForm(instance=services.rules_get()),
            "bar_form": bar_form or BarForm(),
            "bars": CreditBar.objects.filter(lifted_at__isnull=True).select_related(
                "client", "barred_by"
            ),
        },
        status=status,
    )


@require_POST
def bar_add(request: AuthedHttpRequest) -> HttpResponse:
    form = BarForm(request.POST)
    if form.is_valid():
        client = Client.objects.filter(
            contract_number=form.cleaned_data["contract"].strip()
        ).first()
        if client is None:
            form.add_error("contract", _("No client has this contract number."))
        else:
            try:
                services.bar_add(
                    client=client, actor=request.user, reason=form.cleaned_data["reason"]
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("The client can no longer take promised payments."))
                return HttpResponseRedirect(reverse("manager:credit_rules"))
    return _rules_page(request, bar_form=form, status=400)


@require_POST
def bar_lift(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    bar = get_object_or_404(CreditBar, pk=pk)
    services.bar_lift(bar=bar, actor=request.user)
    messages.success(request, _("The client may take promised payments again."))
    return HttpResponseRedirect(reverse("manager:credit_rules"))

"""The client's numbers, and call labelling: the state of the company's labelling, the
application form (company administrators), withdrawal and the signed applications' PDFs."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kabinet.accounts.http import AuthedHttpRequest
from kabinet.accounts.views_cabinet import current_client
from kabinet.core.security import client_address

from . import services
from .forms import ApplicationForm
from .models import SENT_STATUSES, CallLabel, CallLabelVersion, PhoneNumber


def _address(request: AuthedHttpRequest) -> str | None:
    address = client_address(request)
    return None if address == "unknown" else address


@require_GET
def numbers(request: AuthedHttpRequest) -> HttpResponse:
    page = services.numbers_page(current_client(request))
    return render(
        request,
        "numbers/cabinet/numbers.html",
        {
            "current": page.current,
            "released": page.released,
            "state": page.state,
            "period": page.period,
            "calls_url": reverse("cabinet:calls"),
        },
    )


@require_GET
def call_label(request: AuthedHttpRequest) -> HttpResponse:
    client = current_client(request)
    state = services.label_state(client)
    tariff = services.label_service_tariff()
    return render(
        request,
        "numbers/cabinet/call_label.html",
        {
            "state": state,
            "is_admin": request.user.membership.is_admin,
            "has_numbers": PhoneNumber.objects.filter(
                client=client, released_at__isnull=True
            ).exists(),
            "price": tariff.current_version if tariff else None,
            # Withdrawn here, but billing has not confirmed it yet: still shown on calls.
            "withdrawing": CallLabel.objects.filter(
                client=client, withdrawn_at__isnull=False, versions__status__in=SENT_STATUSES
            )
            .order_by("-withdrawn_at")
            .first(),
        },
    )


@require_http_methods(["GET", "POST"])
def call_label_apply(request: AuthedHttpRequest) -> HttpResponse:
    client = current_client(request)
    is_admin = request.user.membership.is_admin
    consent = services.consent_current()
    numbers = services.current_numbers(client)
    state = services.label_state(client)
    form = None
    if consent is not None:
        source = state.pending or state.active
        initial: dict[str, Any] = {"legal_name": client.name}
        if source is not None:
            initial.update(
                brand=source.brand,
                category=source.category_id,
                display_text=source.display_text,
                numbers=source.numbers,
            )
        else:
            initial["numbers"] = [n.number for n in numbers]
        form = ApplicationForm(
            request.POST or None, numbers=numbers, consent=consent, initial=initial
        )
    status = 200
    if request.method == "POST":
        status = 400
        if not is_admin:
            messages.error(
                request, _("Only the company's administrators file labelling applications.")
            )
            status = 403
        elif form is None:
            messages.error(request, _("Call labelling is not available yet. Ask your manager."))
        elif form.is_valid():
            data = form.cleaned_data
            try:
                services.label_apply(
                    client=client,
                    actor=request.user,
                    brand=data["brand"],
                    category=data["category"],
                    display_text=data["display_text"],
                    numbers=data["numbers"],
                    consent=consent,  # type: ignore[arg-type]
                    ip=_address(request),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    _("The application is filed. A manager checks it, usually within a day."),
                )
                return HttpResponseRedirect(reverse("cabinet:call_label"))
    return render(
        request,
        "numbers/cabinet/call_label_apply.html",
        {
            "form": form,
            "consent": consent,
            "is_admin": is_admin,
            "state": state,
            "has_numbers": bool(numbers),
        },
        status=status,
    )


@require_POST
def call_label_withdraw(request: AuthedHttpRequest) -> HttpResponse:
    client = current_client(request)
    try:
        services.label_withdraw(client=client, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("Labelling is withdrawn. The operators stop showing it within a few days.")
        )
    return HttpResponseRedirect(reverse("cabinet:call_label"))


@require_GET
def call_label_pdf(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(CallLabelVersion, pk=pk, client=current_client(request))
    response = HttpResponse(bytes(version.pdf), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="call-label-{version.client.contract_number}-v{version.version}.pdf"'
    )
    return response

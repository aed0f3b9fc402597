"""Call labelling for managers: the moderation queue, one application with the name checked
against the contract (approve, or decline with a reason), a client's numbers, the list of
categories and the consent text's versions."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kabinet.accounts.http import AuthedHttpRequest
from kabinet.accounts.models import Client

from . import services
from .forms import CategoryForm, ConsentForm, DeclineForm, QueueFilterForm
from .models import (
    CallCategory,
    CallLabelEvent,
    CallLabelVersion,
    ConsentText,
    LabelStatus,
    PhoneNumber,
    format_number,
)
from .views_editor import publish_from_form


@require_GET
def queue(request: AuthedHttpRequest) -> HttpResponse:
    form = QueueFilterForm(request.GET or None)
    qs = CallLabelVersion.objects.select_related("client", "category", "consented_by").defer("pdf")
    status = LabelStatus.MODERATION.value
    if form.is_valid():
        status = form.cleaned_data["status"] if "status" in request.GET else status
        contract = form.cleaned_data["contract"].strip()
        if contract:
            qs = qs.filter(client__contract_number=contract)
    if status:
        qs = qs.filter(status=status)
    qs = qs.order_by("consented_at") if status == LabelStatus.MODERATION else qs
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "numbers/manager/queue.html",
        {
            "form": form,
            "status": status,
            "page": Paginator(qs, 50).get_page(request.GET.get("page")),
            "waiting": CallLabelVersion.objects.filter(status=LabelStatus.MODERATION).count(),
            "query": query.urlencode(),
        },
    )


@require_GET
def detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(
        CallLabelVersion.objects.select_related(
            "client", "category", "consent", "consented_by", "decided_by", "label"
        ).defer("pdf"),
        pk=pk,
    )
    return _detail_page(request, version)


def _detail_page(
    request: AuthedHttpRequest,
    version: CallLabelVersion,
    *,
    decline_form: DeclineForm | None = None,
    status: int = 200,
) -> HttpResponse:
    current = {
        n.number
        for n in PhoneNumber.objects.filter(client=version.client, released_at__isnull=True)
    }
    return render(
        request,
        "numbers/manager/detail.html",
        {
            "version": version,
            "numbers": [(n, format_number(n), n in current) for n in version.numbers],
            "decline_form": decline_form or DeclineForm(),
            "others": CallLabelVersion.objects.filter(label=version.label)
            .exclude(pk=version.pk)
            .defer("pdf")
            .order_by("-version"),
            "events": CallLabelEvent.objects.filter(label=version.label)[:20],
        },
        status=status,
    )


@require_POST
def approve(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(CallLabelVersion, pk=pk)
    try:
        services.label_approve(version=version, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("Approved: the application goes to billing with the next export.")
        )
    return HttpResponseRedirect(reverse("manager:call_label_detail", args=[version.pk]))


@require_POST
def decline(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(CallLabelVersion, pk=pk)
    form = DeclineForm(request.POST)
    if form.is_valid():
        try:
            services.label_decline(
                version=version, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Declined; the client is told why."))
        return HttpResponseRedirect(reverse("manager:call_label_detail", args=[version.pk]))
    messages.error(request, _("Say why the application is declined."))
    return HttpResponseRedirect(reverse("manager:call_label_detail", args=[version.pk]))


@require_GET
def pdf(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(CallLabelVersion.objects.select_related("client"), pk=pk)
    response = HttpResponse(bytes(version.pdf), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="call-label-{version.client.contract_number}-v{version.version}.pdf"'
    )
    return response


@require_GET
def client_numbers(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(Client, pk=pk)
    page = services.numbers_page(client)
    return render(
        request,
        "numbers/manager/client_numbers.html",
        {
            "client": client,
            "current": page.current,
            "released": page.released,
            "state": page.state,
            "period": page.period,
            "calls_url": reverse("manager:client_calls", args=[client.pk]),
        },
    )


def _settings_page(
    request: AuthedHttpRequest,
    *,
    category_form: CategoryForm | None = None,
    consent_form: ConsentForm | None = None,
    status: int = 200,
) -> HttpResponse:
    consent = services.consent_current()
    return render(
        request,
        "numbers/manager/settings.html",
        {
            "categories": CallCategory.objects.all(),
            "category_form": category_form or CategoryForm(),
            "consent_form": consent_form
            or ConsentForm(
                initial={"text": consent.text, "text_en": consent.text_en} if consent else None
            ),
            "consents": ConsentText.objects.select_related("created_by")[:20],
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def categories(request: AuthedHttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _settings_page(request)
    form = CategoryForm(request.POST)
    if form.is_valid():
        try:
            services.category_save(actor=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            form.add_error("code", exc)
        else:
            messages.success(request, _("The category is added."))
            return HttpResponseRedirect(reverse("manager:call_label_settings"))
    return _settings_page(request, category_form=form, status=400)


@require_POST
def category_toggle(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    category = get_object_or_404(CallCategory, pk=pk)
    services.category_save(
        actor=request.user, category=category, data={"is_active": not category.is_active}
    )
    messages.success(
        request,
        _("The category is offered again.")
        if category.is_active
        else _("The category is no longer offered."),
    )
    return HttpResponseRedirect(reverse("manager:call_label_settings"))


@require_POST
def consent(request: AuthedHttpRequest) -> HttpResponse:
    form = ConsentForm(request.POST)
    if publish_from_form(request, form):
        return HttpResponseRedirect(reverse("manager:call_label_settings"))
    return _settings_page(request, consent_form=form, status=400)

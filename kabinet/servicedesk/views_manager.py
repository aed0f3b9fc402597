"""The manager cabinet's request queue and automation rules."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.formats import get_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from kabinet.accounts.http import AuthedHttpRequest
from kabinet.audit.services import audit_entries_for
from kabinet.catalog.models import Service, Tariff
from kabinet.core.forms import add_service_errors
from kabinet.core.jinja import choice_labels, render_rows
from kabinet.core.security import safe_next_url
from kabinet.lib.prepared import prepared
from kabinet.lib.uploads import private_file_response

from . import selectors, services
from .forms import AssignForm, BulkForm, DecisionForm, QueueFilterForm, RuleForm, manager_names
from .models import (
    OPEN_STATUSES,
    RequestAttachment,
    RequestKind,
    RequestStatus,
    Rule,
    ServiceRequest,
)

QUEUE_PAGE = 30
QUEUE_COLUMNS = (
    "kind",
    "status",
    "due_at",
    "created_at",
    "parameters",
    "subject",
    "client_id",
    "assignee_id",
    "subscription_id",
    "service_id",
    "tariff_id",
    "rule_id",
    "client__contract_number",
    "client__name",
    "assignee__first_name",
    "assignee__last_name",
    "assignee__email",
    "subscription__service__name",
    "subscription__service__name_en",
)


def _filtered_queue(form: QueueFilterForm, user: Any) -> QuerySet[ServiceRequest]:
    # Four joins; the services, tariffs and rules come from their small tables (_attach):
    # with all six joined, PostgreSQL took 25 ms to plan the page's query (1 ms to run it)
    # on the bench's data.
    # Only the columns a row shows (a request's text, a client's and a user's other columns
    # are many and the page never reads them).
    qs = (
        ServiceRequest.objects.select_related("client", "assignee", "subscription__service")
        .only(*QUEUE_COLUMNS)
        .order_by("due_at", "created_at", "id")
    )
    if not form.is_valid():
        return qs.filter(status__in=OPEN_STATUSES)
    data = form.cleaned_data
    if data["status"] == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif data["status"]:
        qs = qs.filter(status=data["status"])
    if data["kind"]:
        qs = qs.filter(kind=data["kind"])
    if data["client"]:
        qs = qs.filter(client__contract_number=data["client"].strip())
    assignee = data["assignee"]
    if assignee == "me":
        qs = qs.filter(assignee=user)
    elif assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    elif assignee:
        qs = qs.filter(assignee_id=int(assignee))
    if data["overdue"]:
        qs = qs.filter(status__in=OPEN_STATUSES, due_at__lt=timezone.now())
    return qs


# The catalog's and the rules' few rows, read whole by every queue page: compiled once.
_all_services = prepared(lambda: Service.objects.order_by())
_all_tariffs = prepared(lambda: Tariff.objects.order_by())
_all_rules = prepared(lambda: Rule.objects.order_by())


def _attach(rows: list[ServiceRequest]) -> list[ServiceRequest]:
    """The page's services, tariffs and rules, each table read whole in one query (they are
    the catalog's and the rules' few rows), so the queries are the same for any page."""
    services = {s.pk: s for s in _all_services.models()}
    tariffs = {t.pk: t for t in _all_tariffs.models()}
    rules = {r.pk: r for r in _all_rules.models()}
    for row in rows:
        if row.service_id in services:
            row.service = services[row.service_id]
        if row.tariff_id in tariffs:
            row.tariff = tariffs[row.tariff_id]
        if row.rule_id in rules:
            row.rule = rules[row.rule_id]
    return rows


@dataclass(frozen=True)
class QueueRow:
    """A queue row's cells as text, formatted once in Python: through the template's
    filters and translated blocks, thirty rows cost most of the page."""

    pk: int
    is_new: bool
    overdue: bool
    contract: str
    client: str
    kind: str
    summary: str
    rule: str
    due: str
    filed: str
    assignee: str
    status: str
    status_label: str
    url: str
    select_label: str


def queue_rows(requests: list[ServiceRequest]) -> list[QueueRow]:
    now = timezone.now()
    fmt = get_format("SHORT_DATETIME_FORMAT")  # once, not per date

    def when(moment: dt.datetime | None) -> str:
        return dateformat.format(timezone.localtime(moment), fmt) if moment else ""

    detail = reverse("manager:request_detail", args=[0]).replace("/0/", "/{}/")
    kinds = choice_labels(RequestKind)
    statuses = choice_labels(RequestStatus)
    return [
        QueueRow(
            pk=req.pk,
            is_new=req.status == RequestStatus.NEW,
            overdue=req.is_open and req.due_at is not None and req.due_at < now,
            contract=req.client.contract_number,
            client=req.client.name,
            kind=kinds.get(req.kind, req.kind),
            summary=req.summary,
            rule=_("by rule “%(rule)s”") % {"rule": req.rule.name} if req.rule else "",
            due=when(req.due_at) if req.is_open else "",
            filed=_("filed %(at)s") % {"at": when(req.created_at)},
            assignee=req.assignee.display_name if req.assignee else "",
            status=req.status,
            status_label=statuses.get(req.status, req.status),
            url=detail.format(req.pk),
            select_label=_("Select request #%(id)s") % {"id": req.pk},
        )
        for req in requests
    ]


def queue_rows_html(rows: list[QueueRow]) -> SafeString:
    labels = {
        "select": _("Select"),
        "client": _("Client"),
        "request": _("Request"),
        "due": _("Due"),
        "assignee": _("Assignee"),
        "status": _("Status"),
        "overdue": _("overdue"),
    }
    return render_rows("servicedesk/queue_rows.html", {"rows": rows, "labels": labels})


def request_queue(request: AuthedHttpRequest) -> HttpResponse:
    people = manager_names()
    form = QueueFilterForm(request.GET or {"status": "open"}, people=people)
    page = Paginator(_filtered_queue(form, request.user), QUEUE_PAGE).get_page(
        request.GET.get("page")
    )
    page.object_list = queue_rows(_attach(list(page.object_list)))  # type: ignore[assignment]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "servicedesk/manager/queue.html",
        {
            "form": form,
            "page": page,
            "rows_html": queue_rows_html(page.object_list),  # type: ignore[arg-type]
            "query": query.urlencode(),
            "now": timezone.now(),
            "managers": people,
            "back": request.get_full_path(),
        },
    )


@require_POST
def request_bulk(request: AuthedHttpRequest) -> HttpResponse:
    back = safe_next_url(request, request.POST.get("next"), "")
    form = BulkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Tick the requests and choose what to do with them."))
        return redirect(back or "manager:requests")
    data = form.cleaned_data
    try:
        result = services.request_bulk_decide(
            actor=request.user,
            ids=data["ids"],
            decision=data["decision"],
            comment=data["comment"],
            assignee=data["assignee"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(back or "manager:requests")
    if result.done:
        messages.success(
            request,
            ngettext(
                "%(n)s request is done: %(ids)s.",
                "%(n)s requests are done: %(ids)s.",
                len(result.done),
            )
            % {"n": len(result.done), "ids": ", ".join(f"#{i}" for i in result.done)},
        )
    for pk, error in result.failed:
        messages.error(request, _("#%(id)s: %(error)s") % {"id": pk, "error": error})
    return redirect(back or "manager:requests")


def _request_or_404(pk: int) -> ServiceRequest:
    return get_object_or_404(
        ServiceRequest.objects.select_related(
            "client__manager",
            "service",
            "tariff",
            "subscription__tariff",
            "subscription__service",
            "created_by",
            "assignee",
            "rule",
        ),
        pk=pk,
    )


def request_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    service_request = _request_or_404(pk)
    return render(
        request,
        "servicedesk/manager/request_detail.html",
        {
            "req": service_request,
            "events": service_request.events.select_related("actor", "assignee", "rule"),
            "attachments": service_request.attachments.all(),
            "form": DecisionForm(),
            "assign_form": AssignForm(initial={"assignee": service_request.assignee_id}),
            "audit": audit_entries_for(service_request)[:20],
        },
    )


@require_POST
def request_assign(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    service_request = get_object_or_404(ServiceRequest, pk=pk)
    data = request.POST.copy()
    if data.get("assignee") == "me":
        data["assignee"] = str(request.user.pk)
    form = AssignForm(data)
    if not form.is_valid():
        messages.error(request, _("Choose a manager."))
        return redirect("manager:request_detail", pk=pk)
    try:
        services.request_assign(
            actor=request.user,
            service_request=service_request,
            assignee=form.cleaned_data["assignee"],
            request=request,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The assignee is saved."))
    return redirect("manager:request_detail", pk=pk)


@require_POST
def request_decide(request: AuthedHttpRequest, pk: int, decision: str) -> HttpResponse:
    if decision not in ("approve", "reject"):
        raise Http404
    service_request = get_object_or_404(ServiceRequest, pk=pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The comment is too long."))
        return redirect("manager:request_detail", pk=pk)
    comment = form.cleaned_data["comment"]
    try:
        if decision == "approve":
            services.request_approve(
                actor=request.user, service_request=service_request, comment=comment
            )
            messages.success(request, _("The request is approved and carried out."))
        else:
            services.request_reject(
                actor=request.user, service_request=service_request, comment=comment
            )
            messages.success(request, _("The request is rejected."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("manager:request_detail", pk=pk)


def request_attachment(request: AuthedHttpRequest, pk: int, file_pk: int) -> FileResponse:
    attachment = get_object_or_404(RequestAttachment, pk=file_pk, request_id=pk)
    return private_file_response(
        attachment.file, name=attachment.name, content_type=attachment.content_type
    )


# --- Automation rules ----------------------------------------------------------------------------


def rule_list(request: AuthedHttpRequest) -> HttpResponse:
    # Django drops Meta.ordering from GROUP BY queries: the list must show the order rules
    # are tried in, so it is spelled out.
    rules = (
        Rule.objects.select_related("service", "assign_to")
        .annotate(decided=Count("requests", distinct=True))
        .order_by("position", "id")
    )
    recent = (
        ServiceRequest.objects.filter(rule__isnull=False)
        .select_related("client", "rule", "assignee", "service", "tariff", "subscription__service")
        .order_by("-processed_at", "-id")[:15]
    )
    return render(request, "servicedesk/manager/rule_list.html", {"rules": rules, "recent": recent})


def _rule_data(form: RuleForm) -> dict[str, Any]:
    return {name: form.cleaned_data[name] for name in form.Meta.fields}


@require_http_methods(["GET", "POST"])
def rule_new(request: AuthedHttpRequest) -> HttpResponse:
    form = RuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rule = services.rule_save(
                actor=request.user, rule=None, data=_rule_data(form), request=request
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The rule is saved, disabled. Test it, then enable it."))
            return redirect("manager:rule_test", pk=rule.pk)
    return render(request, "servicedesk/manager/rule_form.html", {"form": form, "rule": None})


@require_http_methods(["GET", "POST"])
def rule_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(Rule, pk=pk)
    form = RuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        try:
            services.rule_save(
                actor=request.user, rule=rule, data=_rule_data(form), request=request
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The rule is saved."))
            return redirect("manager:rule_detail", pk=pk)
    decided = (
        ServiceRequest.objects.filter(rule=rule)
        .select_related("client", "service", "tariff", "subscription__service", "assignee")
        .order_by("-processed_at", "-id")[:20]
    )
    return render(
        request,
        "servicedesk/manager/rule_form.html",
        {
            "form": form,
            "rule": rule,
            "decided": decided,
            "audit": audit_entries_for(rule)[:10],
        },
    )


def rule_test(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(Rule.objects.select_related("service", "assign_to"), pk=pk)
    result = selectors.rule_trial(rule)
    return render(request, "servicedesk/manager/rule_test.html", {"rule": rule, "result": result})


@require_POST
def rule_toggle(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(Rule, pk=pk)
    enabled = request.POST.get("enabled") == "1"
    services.rule_set_enabled(actor=request.user, rule=rule, enabled=enabled, request=request)
    if enabled:
        messages.success(request, _("Rule “%(name)s” is enabled.") % {"name": rule.name})
    else:
        messages.success(request, _("Rule “%(name)s” is disabled.") % {"name": rule.name})
    return redirect("manager:rules")


@require_POST
def rule_move(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(Rule, pk=pk)
    try:
        services.rule_move(
            actor=request.user,
            rule=rule,
            direction=request.POST.get("direction", ""),
            request=request,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("manager:rules")


@require_POST
def rule_delete(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(Rule, pk=pk)
    try:
        services.rule_delete(actor=request.user, rule=rule, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("manager:rule_detail", pk=pk)
    messages.success(request, _("The rule is deleted."))
    return redirect("manager:rules")

"""The client's call details: the filtered period with totals, bars by day and keyset pages,
and the same calls exported as CSV or XLSX."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kabinet.accounts.http import AuthedHttpRequest
from kabinet.accounts.models import Client
from kabinet.accounts.views_cabinet import current_client
from kabinet.core.jinja import choice_labels, render_rows
from kabinet.lib.dates import date_formatter
from kabinet.lib.money import money_formatter

from . import export, formats, selectors
from .charts import days_chart
from .forms import CallFilterForm
from .models import Call, CallDirection, CallZone


@dataclass(frozen=True)
class Row:
    """One call as the page shows it, formatted once in Python: fifty rows through the
    template's filters cost most of the page."""

    call_id: str
    started: str
    direction: str
    number: str
    peer: str  # "" when withheld
    zone: str
    duration: str
    amount: str


def display_rows(calls: list[Call]) -> list[Row]:
    directions = choice_labels(CallDirection)
    zones = choice_labels(CallZone)
    money = money_formatter()
    short_date = date_formatter()
    rows = []
    for call in calls:
        moment = timezone.localtime(call.started_at)
        rows.append(
            Row(
                call_id=call.call_id,
                started=f"{short_date(moment)} {moment:%H:%M:%S}",
                direction=directions.get(call.direction, call.direction),
                number=formats.phone(call.number),
                peer=formats.phone(call.peer) if call.peer else "",
                zone=zones.get(call.zone, call.zone),
                duration=formats.duration(call.duration_s),
                amount=money(call.amount),
            )
        )
    return rows


def rows_html(rows: list[Row]) -> SafeString:
    labels = {
        "started": _("Started"),
        "direction": _("Direction"),
        "number": _("Own number"),
        "peer": _("Other party"),
        "zone": _("Zone"),
        "duration": _("Duration"),
        "amount": _("Amount"),
        "withheld": _("withheld"),
    }
    return render_rows("calls/rows.html", {"rows": rows, "labels": labels})


def calls_screen(
    request: HttpRequest,
    client: Client,
    form: CallFilterForm,
    *,
    template: str,
    urls: dict[str, str],
) -> HttpResponse:
    """The page, for the client and for a manager (who names the client and the URLs)."""
    rows: list[Call] = []
    totals = days = next_cursor = None
    flt = None
    if form.is_valid():
        flt = form.filter()
        qs = selectors.calls_filtered(client, flt)
        totals, days = selectors.calls_summary(client, flt)
        rows, next_cursor = selectors.calls_page(qs, flt.after)
    shown = display_rows(rows)
    query = request.GET.copy()
    query.pop("after", None)
    base = query.urlencode()
    next_query = query.copy()
    if next_cursor is not None:
        next_query["after"] = str(next_cursor)
    return render(
        request,
        template,
        {
            "client": client,
            "form": form,
            "filter": flt,
            "totals": totals,
            "chart": days_chart(days) if days else "",
            "rows": shown,
            "rows_html": rows_html(shown) if shown else "",
            "next_url": f"?{next_query.urlencode()}" if next_cursor is not None else "",
            "first_url": f"?{base}" if flt is not None and flt.after is not None else "",
            "csv_url": f"{urls['csv']}?{base}",
            "xlsx_url": f"{urls['xlsx']}?{base}",
            "page_url": urls["page"],
        },
    )


def calls_export(
    request: HttpRequest,
    client: Client,
    form: CallFilterForm,
    write: Callable[..., HttpResponseBase],
    page: str,
) -> HttpResponseBase:
    if not form.is_valid():
        # Junk in the filter: back to the page, which says what is wrong.
        return HttpResponseRedirect(f"{page}?{request.GET.urlencode()}")
    flt = form.filter()
    return write(client, flt, selectors.calls_filtered(client, flt))


def _urls() -> dict[str, str]:
    return {
        "page": reverse("cabinet:calls"),
        "csv": reverse("cabinet:calls_csv"),
        "xlsx": reverse("cabinet:calls_xlsx"),
    }


@require_GET
def calls(request: AuthedHttpRequest) -> HttpResponse:
    form = CallFilterForm(request.GET)
    return calls_screen(
        request, current_client(request), form, template="calls/cabinet/calls.html", urls=_urls()
    )


@require_GET
def calls_csv(request: AuthedHttpRequest) -> HttpResponseBase:
    form = CallFilterForm(request.GET)
    return calls_export(
        request, current_client(request), form, export.csv_response, _urls()["page"]
    )


@require_GET
def calls_xlsx(request: AuthedHttpRequest) -> HttpResponseBase:
    form = CallFilterForm(request.GET)
    return calls_export(
        request, current_client(request), form, export.xlsx_response, _urls()["page"]
    )

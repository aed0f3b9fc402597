"""The filtered calls as CSV (streamed row by row) and XLSX (openpyxl's write-only mode,
written to a temporary file and streamed from it): memory stays flat for any period."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kabinet.accounts.models import Client
from kabinet.lib.money import format_money

from .formats import duration
from .models import Call, CallDirection, CallZone
from .selectors import CallFilter

CHUNK = 2000


class _Echo:
    def write(self, value: str) -> str:
        return value


def _safe(text: str) -> str:
    # A cell starting with = + - @ is a formula to spreadsheets; neutralise it.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def header_rows(client: Client, flt: CallFilter) -> list[list[str]]:
    """Who, which contract and which period the file is about, before the table."""
    period = flt.period
    filters = [
        (_("Own number"), flt.number),
        (_("Direction"), str(CallDirection(flt.direction).label) if flt.direction else ""),
        (_("Zone"), str(CallZone(flt.zone).label) if flt.zone else ""),
        (_("Other party"), flt.peer),
        (_("At least, seconds"), str(flt.min_duration or "")),
    ]
    return [
        [_("Company"), _safe(client.name)],
        [_("Contract"), client.contract_number],
        [
            _("Period"),
            f"{date_format(period.first, 'SHORT_DATE_FORMAT')} – "
            f"{date_format(period.last, 'SHORT_DATE_FORMAT')}",
        ],
        *([label, _safe(value)] for label, value in filters if value),
        [],
    ]


def columns() -> list[str]:
    return [
        _("Started"),
        _("Direction"),
        _("Own number"),
        _("Other party"),
        _("Zone"),
        _("Duration"),
        _("Seconds"),
        _("Amount"),
    ]


def _cells(call: Call) -> list[Any]:
    return [
        timezone.localtime(call.started_at).strftime("%Y-%m-%d %H:%M:%S"),
        str(CallDirection(call.direction).label),
        call.number,
        call.peer,
        str(CallZone(call.zone).label),
        duration(call.duration_s),
        call.duration_s,
        format_money(call.amount),
    ]


def _rows(qs: QuerySet[Call]) -> Iterator[Call]:
    return qs.only(
        "started_at", "direction", "number", "peer", "zone", "duration_s", "amount"
    ).iterator(chunk_size=CHUNK)


def file_name(client: Client, flt: CallFilter, extension: str) -> str:
    return f"calls-{client.contract_number}-{flt.period.key}.{extension}"


def csv_response(client: Client, flt: CallFilter, qs: QuerySet[Call]) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff"
        for row in header_rows(client, flt):
            yield writer.writerow(row)
        yield writer.writerow(columns())
        for call in _rows(qs):
            yield writer.writerow(_cells(call))

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file_name(client, flt, "csv")}"'
    return response


def xlsx_response(client: Client, flt: CallFilter, qs: QuerySet[Call]) -> FileResponse:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Calls"))
    bold = Font(bold=True)
    for row in header_rows(client, flt):
        sheet.append(row)
    head = []
    for title in columns():
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        head.append(cell)
    sheet.append(head)
    for call in _rows(qs):
        cells = _cells(call)
        cells[-1] = call.amount  # a number in a spreadsheet, not text
        sheet.append(cells)
    # openpyxl writes a finished workbook only; a temporary file keeps memory flat and the
    # response streams it (closed and removed when sent).
    tmp = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
    workbook.save(tmp)
    tmp.seek(0)
    return FileResponse(
        tmp,
        as_attachment=True,
        filename=file_name(client, flt, "xlsx"),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )

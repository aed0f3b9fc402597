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
PIECE = 64 * 1024


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


_FIELDS = ("started_at", "direction", "number", "peer", "zone", "duration_s", "amount")


def _rows(qs: QuerySet[Call]) -> Iterator[list[Any]]:
    """Each call's cells, the amount last as a Decimal: plain values from the database (no
    model objects), the direction and zone labels translated once for the whole file."""
    directions = {c.value: str(c.label) for c in CallDirection}
    zones = {c.value: str(c.label) for c in CallZone}
    zone = timezone.get_current_timezone()
    for started_at, direction, number, peer, call_zone, seconds, amount in qs.values_list(
        *_FIELDS
    ).iterator(chunk_size=CHUNK):
        yield [
            started_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
            directions[direction],
            number,
            peer,
            zones[call_zone],
            duration(seconds),
            seconds,
            amount,
        ]


def file_name(client: Client, flt: CallFilter, extension: str) -> str:
    return f"calls-{client.contract_number}-{flt.period.key}.{extension}"


def csv_response(client: Client, flt: CallFilter, qs: QuerySet[Call]) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff"
        for row in header_rows(client, flt):
            yield writer.writerow(row)
        yield writer.writerow(columns())
        # Sent in pieces of about 64 KiB: a piece a row costs more in the response's
        # machinery than writing the row.
        piece: list[str] = []
        size = 0
        for cells in _rows(qs):
            cells[-1] = format_money(cells[-1])
            line = writer.writerow(cells)
            piece.append(line)
            size += len(line)
            if size >= PIECE:
                yield "".join(piece)
                piece, size = [], 0
        if piece:
            yield "".join(piece)

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
    for cells in _rows(qs):
        sheet.append(cells)  # the amount a number in a spreadsheet, not text
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

"""Invoice and act PDFs (Russian, so a Cyrillic TTF is embedded; fpdf2 subsets it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from billingsim.money import format_rub_ru

FONT_PATH = Path(__file__).parent / "fonts" / "DejaVuSans.ttf"
SUPPLIER = "ООО «Связь-Сервис» (billingsim), ИНН 7700000000, КПП 770001001"
TITLES = {"invoice": "Счёт", "act": "Акт об оказании услуг связи"}


@dataclass(frozen=True)
class DocumentContent:
    kind: str
    number: str
    date: date
    period: str
    contract: str
    client_name: str
    inn: str
    kpp: str
    lines: list[tuple[str, Decimal]]
    total: Decimal


def render(doc: DocumentContent) -> bytes:
    pdf = FPDF(format="A4")
    # A fixed creation date (the document date) keeps the bytes reproducible with --seed.
    pdf.set_creation_date(datetime.combine(doc.date, datetime.min.time(), tzinfo=UTC))
    pdf.set_title(f"{TITLES[doc.kind]} № {doc.number}")
    pdf.set_author("billingsim")
    pdf.add_font("DejaVu", "", str(FONT_PATH))
    pdf.add_page()
    pdf.set_font("DejaVu", size=15)
    heading = f"{TITLES[doc.kind]} № {doc.number} от {doc.date:%d.%m.%Y}"
    pdf.cell(0, 10, heading, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("DejaVu", size=10)
    for text in (
        f"Исполнитель: {SUPPLIER}",
        f"Заказчик: {doc.client_name}",
        f"ИНН {doc.inn or '—'}, КПП {doc.kpp or '—'}, договор № {doc.contract}",
        f"Расчётный период: {doc.period}",
    ):
        pdf.multi_cell(0, 6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    _table(pdf, doc)
    pdf.ln(4)
    if doc.kind == "act":
        closing = (
            "Вышеперечисленные услуги оказаны полностью и в срок. "
            "Заказчик претензий по объёму, качеству и срокам оказания услуг не имеет."
        )
    else:
        closing = f"Оплата по договору № {doc.contract}. НДС не облагается."
    pdf.multi_cell(0, 6, closing, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def _table(pdf: FPDF, doc: DocumentContent) -> None:
    widths = (10, 130, 40)
    _row(pdf, widths, ("№", "Наименование", "Сумма, руб."))
    for index, (text, amount) in enumerate(doc.lines, start=1):
        _row(pdf, widths, (str(index), text, format_rub_ru(amount)))
    pdf.cell(widths[0] + widths[1], 7, "Итого:", border=1, align="R")
    pdf.cell(
        widths[2],
        7,
        format_rub_ru(doc.total),
        border=1,
        align="R",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )


def _row(pdf: FPDF, widths: tuple[int, int, int], cells: tuple[str, str, str]) -> None:
    pdf.cell(widths[0], 7, cells[0], border=1, align="C")
    pdf.cell(widths[1], 7, cells[1][:80], border=1)
    pdf.cell(widths[2], 7, cells[2], border=1, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

"""The PDFs of invoices and reconciliation statements (the bank QR code is in ``qr``).

The documents are the Russian forms an accountant and a bank expect, so they are printed in
Russian whatever the reader's language (the cabinet's pages around them are translated).
They are rendered from what the invoice or statement stored when it was issued.

fpdf and fontTools add ~15 MiB to a Kabinet process: this module is imported only where a PDF
is built, not at start-up.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

from django.utils import timezone
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from kabinet.lib.words import rubles_in_words

from .models import Invoice, Statement
from .periods import date_ru, period_text_ru
from .qr import qr_png

FONTS = Path(__file__).parent / "fonts"


def rub(amount: Decimal) -> str:
    """1234567.5 → "1 234 567,50" (a narrow no-break space groups thousands)."""
    text = f"{amount:,.2f}".replace(",", "\u00a0").replace(".", ",")
    return text


# --- common ------------------------------------------------------------------------------


class _Document(FPDF):
    def __init__(self, title: str, created: dt.date) -> None:
        super().__init__(format="A4")
        self.set_creation_date(dt.datetime.combine(created, dt.time.min, tzinfo=dt.UTC))
        self.set_title(title)
        self.set_author("Kabinet")
        self.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_margins(15, 12, 15)
        self.set_auto_page_break(True, margin=15)
        self.add_page()

    def font(self, size: float, bold: bool = False) -> None:
        self.set_font("DejaVu", "B" if bold else "", size)

    def para(self, text: str, size: float = 9, bold: bool = False, h: float = 5) -> None:
        self.font(size, bold)
        self.multi_cell(0, h, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def rule(self, width: float = 0.6) -> None:
        self.set_line_width(width)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.set_line_width(0.2)


def _party(req: dict[str, str]) -> str:
    parts = [req.get("name", "")]
    if req.get("inn"):
        parts.append(f"ИНН {req['inn']}")
    if req.get("kpp"):
        parts.append(f"КПП {req['kpp']}")
    if req.get("address"):
        parts.append(req["address"])
    return ", ".join(p for p in parts if p)


# --- invoice (счёт на оплату) --------------------------------------------------------------


def invoice_pdf(invoice: Invoice) -> bytes:
    s, b = invoice.supplier, invoice.buyer
    title = f"Счёт на оплату № {invoice.number} от {date_ru(invoice.date)}"
    pdf = _Document(title, invoice.date)

    # The bank box, as on every Russian invoice: the payee's bank and accounts.
    pdf.font(8)
    x0, y0 = pdf.l_margin, pdf.get_y()
    left, mid, right = 100, 18, 62
    h = 5
    pdf.set_xy(x0, y0)
    pdf.multi_cell(left, h, f"{s['bank']}\nБанк получателя", border=1)
    bank_bottom = pdf.get_y()
    pdf.set_xy(x0 + left, y0)
    pdf.cell(mid, h, "БИК", border=1)
    pdf.cell(right, h, s["bic"], border=1)
    pdf.set_xy(x0 + left, y0 + h)
    pdf.cell(mid, max(h, bank_bottom - y0 - h), "Сч. №", border=1)
    pdf.cell(right, max(h, bank_bottom - y0 - h), s["corr_account"], border=1)
    y1 = max(bank_bottom, y0 + 2 * h)
    pdf.set_xy(x0, y1)
    pdf.cell(left / 2, h, f"ИНН {s['inn']}", border=1)
    pdf.cell(left / 2, h, f"КПП {s.get('kpp') or '—'}", border=1)
    pdf.set_xy(x0, y1 + h)
    pdf.multi_cell(left, h, f"{s['name']}\nПолучатель", border=1)
    payee_bottom = pdf.get_y()
    pdf.set_xy(x0 + left, y1)
    pdf.cell(mid, payee_bottom - y1, "Сч. №", border=1)
    pdf.cell(right, payee_bottom - y1, s["account"], border=1)
    pdf.set_xy(x0, payee_bottom + 6)

    # Title with the QR code at the right.
    qr_size = 34
    qr_y = pdf.get_y()
    pdf.image(
        io.BytesIO(qr_png(invoice, scale=6)),
        x=pdf.w - pdf.r_margin - qr_size,
        y=qr_y,
        w=qr_size,
        h=qr_size,
    )
    pdf.set_right_margin(15 + qr_size + 4)
    pdf.para(title, size=13, bold=True, h=7)
    pdf.ln(1)
    pdf.para(f"Поставщик (исполнитель): {_party(s)}", size=8.5, h=4.5)
    pdf.ln(1)
    pdf.para(f"Покупатель (заказчик): {_party(b)}", size=8.5, h=4.5)
    pdf.ln(1)
    pdf.para(f"Основание: договор № {b['contract']}", size=8.5, h=4.5)
    pdf.set_right_margin(15)
    pdf.font(7)
    pdf.set_xy(pdf.w - pdf.r_margin - qr_size, qr_y + qr_size)
    pdf.multi_cell(qr_size, 3.2, "QR-код для оплаты в приложении банка", align="C")
    pdf.set_y(max(pdf.get_y(), qr_y + qr_size + 8))

    # The line and the totals.
    pdf.font(8.5)
    item = f"Услуги связи по договору № {b['contract']} за {period_text_ru(invoice.period)}"
    with pdf.table(
        col_widths=(8, 92, 14, 14, 26, 26),
        text_align=("CENTER", "LEFT", "RIGHT", "CENTER", "RIGHT", "RIGHT"),
        line_height=5,
        first_row_as_headings=True,
    ) as table:
        table.row(("№", "Товары (работы, услуги)", "Кол-во", "Ед.", "Цена", "Сумма"))
        table.row(("1", item, "1", "усл.", rub(invoice.amount), rub(invoice.amount)))
    pdf.ln(2)
    vat_label = (
        "Без налога (НДС)"
        if invoice.vat_rate == "none"
        else f"В том числе НДС ({invoice.vat_rate}%):"
    )
    vat_value = "—" if invoice.vat_rate == "none" else rub(invoice.vat_amount)
    for label, value in (
        ("Итого:", rub(invoice.amount)),
        (vat_label, vat_value),
        ("Всего к оплате:", rub(invoice.amount)),
    ):
        pdf.font(9, bold=True)
        pdf.cell(154, 5, label, align="R")
        pdf.cell(26, 5, value, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.para(f"Всего наименований 1, на сумму {rub(invoice.amount)} руб.", size=9)
    pdf.para(rubles_in_words(invoice.amount), size=9, bold=True)
    pdf.ln(2)
    pdf.para(
        "В назначении платежа укажите номер счёта и договора (как в QR-коде). "
        "Оплата этого счёта означает согласие с условиями договора.",
        size=8,
        h=4,
    )
    pdf.ln(2)
    pdf.rule()
    pdf.ln(8)
    _signature(pdf, s.get("signatory_title") or "Руководитель", s.get("signatory", ""))
    if s.get("accountant"):
        pdf.ln(8)
        _signature(pdf, "Главный бухгалтер", s["accountant"])
    return bytes(pdf.output())


def _signature(pdf: _Document, role: str, name: str) -> None:
    pdf.font(9, bold=True)
    pdf.cell(45, 5, role)
    pdf.font(9)
    y = pdf.get_y() + 5
    x = pdf.get_x()
    pdf.line(x, y, x + 45, y)
    pdf.cell(50, 5, "")
    pdf.cell(0, 5, f"/ {name} /", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


# --- reconciliation statement (акт сверки) -------------------------------------------------


def _saldo(amount: Decimal) -> tuple[str, str]:
    """The operator's debit (the client owes) or credit (the client paid ahead) column."""
    if amount < 0:
        return rub(-amount), ""
    if amount > 0:
        return "", rub(amount)
    return "", ""


def statement_pdf(statement: Statement) -> bytes:
    s, b = statement.supplier, statement.buyer
    start, end = statement.date_from, statement.date_to
    title = "Акт сверки взаимных расчётов"
    pdf = _Document(title, timezone_date(statement))
    pdf.para(title, size=13, bold=True, h=7)
    pdf.para(f"за период с {start:%d.%m.%Y} по {end:%d.%m.%Y}", size=9)
    pdf.para(f"между {s['name']} и {b['name']} по договору № {b['contract']}", size=9)
    pdf.ln(2)
    pdf.para(
        f"Мы, нижеподписавшиеся, {(s.get('signatory_title') or 'руководитель').lower()} "
        f"{s['name']} "
        f"{s.get('signatory', '')}, с одной стороны, и __________________ {b['name']}, "
        "с другой стороны, составили настоящий акт сверки в том, что состояние взаимных "
        "расчётов по данным учёта следующее:",
        size=8,
        h=4,
    )
    pdf.ln(2)
    pdf.font(7)
    widths = (15, 37, 19, 19, 15, 37, 19, 19)
    with pdf.table(
        col_widths=widths,
        text_align=("CENTER", "LEFT", "RIGHT", "RIGHT", "CENTER", "LEFT", "RIGHT", "RIGHT"),
        line_height=3.8,
        first_row_as_headings=False,
    ) as table:
        pdf.font(7, bold=True)
        row = table.row()
        row.cell(f"По данным {s['name']}, руб.", colspan=4, align="CENTER")
        row.cell(f"По данным {b['name']}, руб.", colspan=4, align="CENTER")
        table.row(("Дата", "Документ", "Дебет", "Кредит") * 2)
        pdf.font(7)
        debit, credit = _saldo(statement.opening)
        table.row(("", "Сальдо начальное", debit, credit, "", "Сальдо начальное", "", ""))
        for line in statement.lines:
            day = dt.date.fromisoformat(line["date"])
            d, c = Decimal(line["debit"]), Decimal(line["credit"])
            table.row(
                (
                    f"{day:%d.%m.%Y}",
                    line["text"],
                    rub(d) if d else "",
                    rub(c) if c else "",
                    "",
                    "",
                    "",
                    "",
                )
            )
        pdf.font(7, bold=True)
        table.row(
            (
                "",
                "Обороты за период",
                rub(statement.debit),
                rub(statement.credit),
                "",
                "Обороты за период",
                "",
                "",
            )
        )
        debit, credit = _saldo(statement.closing)
        table.row(("", "Сальдо конечное", debit, credit, "", "Сальдо конечное", "", ""))
    pdf.ln(3)
    closing = statement.closing
    if closing < 0:
        result = (
            f"По данным {s['name']} на {end:%d.%m.%Y} задолженность в пользу {s['name']} "
            f"составляет {rub(-closing)} руб. ({rubles_in_words(closing)})."
        )
    elif closing > 0:
        result = (
            f"По данным {s['name']} на {end:%d.%m.%Y} задолженность в пользу {b['name']} "
            f"(аванс) составляет {rub(closing)} руб. ({rubles_in_words(closing)})."
        )
    else:
        result = f"По данным {s['name']} на {end:%d.%m.%Y} задолженность отсутствует."
    pdf.para(result, size=8.5, bold=True, h=4.5)
    pdf.ln(8)
    y = pdf.get_y()
    pdf.font(8.5, bold=True)
    pdf.cell(90, 5, f"От {s['name']}")
    pdf.cell(90, 5, f"От {b['name']}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.font(8.5)
    pdf.set_y(y + 12)
    pdf.cell(90, 5, f"______________ / {s.get('signatory', '')} /")
    pdf.cell(90, 5, "______________ / ______________ /", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.font(7)
    pdf.cell(90, 4, "М. П.")
    pdf.cell(90, 4, "М. П.", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def timezone_date(statement: Statement) -> dt.date:
    return timezone.localdate(statement.created_at)

"""The signed labelling application (заявление) as a PDF, printed in Russian whatever the
reader's language, like the company's other documents (kabinet/accounting/documents.py)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from kabinet.accounting.documents import FONTS

from .models import CallLabelVersion


def _moment(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%d.%m.%Y %H:%M")


def application_pdf(version: CallLabelVersion) -> bytes:
    client = version.client
    pdf = FPDF(format="A4")
    pdf.set_creation_date(version.consented_at.astimezone(dt.UTC))
    pdf.set_title(f"Заявление о маркировке звонков, версия {version.version}")
    pdf.set_author("Kabinet")
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(20, 15, 20)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()

    def para(text: str, size: float = 10, bold: bool = False, h: float = 5.5) -> None:
        pdf.set_font("DejaVu", "B" if bold else "", size)
        pdf.multi_cell(0, h, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    operator = settings.KABINET_OPERATOR_LEGAL_NAME or "Оператор связи"
    para(f"В {operator}", 10)
    para(f"от {client.name}, ИНН {client.inn}" + (f", КПП {client.kpp}" if client.kpp else ""))
    para(f"Договор № {client.contract_number}")
    pdf.ln(4)
    para("Заявление", 14, bold=True, h=8)
    para(f"о маркировке исходящих звонков, версия {version.version}", 11, bold=True)
    pdf.ln(3)
    para(
        "Прошу передавать операторам подвижной радиотелефонной связи сведения о вызывающем "
        "абоненте для отображения вызываемому абоненту при звонках с номеров, указанных ниже."
    )
    pdf.ln(2)
    rows = [
        ("Наименование", version.legal_name),
        ("Коммерческое обозначение", version.brand or "—"),
        ("Категория звонков", version.category.name),
        ("Текст для отображения", f"«{version.display_text}»"),
        ("Номера", ", ".join(version.numbers_display)),
        ("Идентификатор", str(version.label_id)),
    ]
    for label, value in rows:
        pdf.set_font("DejaVu", "B", 10)
        pdf.cell(60, 6, label)
        pdf.set_font("DejaVu", "", 10)
        pdf.multi_cell(0, 6, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    para(f"Согласие (редакция {version.consent.version})", 11, bold=True)
    para(version.consent.text, 9, h=4.8)
    pdf.ln(3)
    signer = version.consented_by
    name = signer.get_full_name() or signer.email
    para(
        f"Подписано в личном кабинете: {name} ({signer.email}), "
        f"{_moment(version.consented_at)}, с адреса {version.consent_ip or '—'}.",
        9,
    )
    return bytes(pdf.output())

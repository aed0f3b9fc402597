"""What a reconciliation statement (акт сверки) is built from.

The operator's side of the statement, from the movements the website knows: billing's
charges (``charge.posted``, dated the last day of their month), and every money movement on
the website's ledger — card, terminal and agent payments, bank transfers billing received,
refunds and cancelled payments — dated when they reached the balance. The balance sign is
the cabinet's: positive is the client's money (a prepayment), negative is a debt.

    closing = opening + credit (payments) − debit (charges, refunds)

The opening balance is every movement before the first day, so the statements of two
adjacent periods always join up.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from kabinet.accounts.models import Client
from kabinet.exchange.models import Charge
from kabinet.payments.models import ZERO, LedgerEntry, LedgerKind

from .periods import month_ru

CHANNEL_RU = {
    "card": "картой",
    "terminal": "через терминал или агента",
    "bank": "банковским переводом",
    "cash": "наличными",
    "other": "",
}


@dataclass(frozen=True)
class Line:
    date: dt.date
    text: str
    debit: Decimal
    credit: Decimal

    def as_json(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "text": self.text,
            "debit": f"{self.debit:.2f}",
            "credit": f"{self.credit:.2f}",
        }


@dataclass(frozen=True)
class StatementData:
    opening: Decimal
    lines: list[Line]

    @property
    def debit(self) -> Decimal:
        return sum((line.debit for line in self.lines), ZERO)

    @property
    def credit(self) -> Decimal:
        return sum((line.credit for line in self.lines), ZERO)

    @property
    def closing(self) -> Decimal:
        return self.opening + self.credit - self.debit


def month_end(period: str) -> dt.date:
    year, month = int(period[:4]), int(period[5:7])
    first_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def _start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _period(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _line_for_entry(entry: LedgerEntry) -> Line:
    day = timezone.localdate(entry.created_at)
    payment = entry.payment
    if entry.kind == LedgerKind.PAYMENT:
        how = CHANNEL_RU.get(payment.channel, "") if payment else ""
        text = f"Оплата {how}".strip()
        if payment is not None and payment.reference:
            text += f", п/п № {payment.reference}"
        return Line(day, text, ZERO, entry.amount)
    text = "Возврат платежа" if entry.kind == LedgerKind.REFUND else "Отмена платежа"
    return Line(day, text, -entry.amount, ZERO)


def statement_data(client: Client, date_from: dt.date, date_to: dt.date) -> StatementData:
    """The statement for ``date_from``…``date_to`` inclusive (in the operator's time zone)."""
    start, end = _start(date_from), _start(date_to + dt.timedelta(days=1))
    first_period, last_period = _period(date_from), _period(date_to)
    charges = Charge.objects.filter(client=client)
    ledger = LedgerEntry.objects.filter(client=client)

    # Before the first day: charges of the months before its month (a month's charges are
    # dated its last day, which is never before a day of that month), money before it.
    charged_before = charges.filter(period__lt=first_period).aggregate(
        s=Coalesce(Sum("amount"), ZERO)
    )["s"]
    money_before = ledger.filter(created_at__lt=start).aggregate(s=Coalesce(Sum("amount"), ZERO))[
        "s"
    ]
    opening = money_before - charged_before

    lines: list[Line] = []
    by_period: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for period, amount in charges.filter(
        period__gte=first_period, period__lte=last_period
    ).values_list("period", "amount"):
        by_period[period] += amount
    for period, amount in by_period.items():
        day = month_end(period)
        if not date_from <= day <= date_to or amount == 0:
            continue
        text = f"Услуги связи за {month_ru(int(period[:4]), int(period[5:7]))}"
        if amount > 0:
            lines.append(Line(day, text, amount, ZERO))
        else:
            lines.append(Line(day, f"{text} (корректировка)", ZERO, -amount))
    for entry in (
        ledger.filter(created_at__gte=start, created_at__lt=end)
        .select_related("payment")
        .order_by("created_at", "id")
    ):
        lines.append(_line_for_entry(entry))
    lines.sort(key=lambda line: (line.date, line.debit == ZERO))
    return StatementData(opening=opening, lines=lines)

"""Months and dates as the Russian documents write them."""

from __future__ import annotations

import datetime as dt

MONTHS = (
    "январь",
    "февраль",
    "март",
    "апрель",
    "май",
    "июнь",
    "июль",
    "август",
    "сентябрь",
    "октябрь",
    "ноябрь",
    "декабрь",
)
MONTHS_GENITIVE = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def month_ru(year: int, month: int) -> str:
    """ "декабрь 2026 г." (as in "услуги связи за декабрь 2026 г.")."""
    return f"{MONTHS[month - 1]} {year} г."


def period_text_ru(period: dt.date) -> str:
    return month_ru(period.year, period.month)


def date_ru(day: dt.date) -> str:
    """ "4 декабря 2026 г."."""
    return f"{day.day} {MONTHS_GENITIVE[day.month - 1]} {day.year} г."

"""Dates of a long list or a chart formatted as ``date_format`` would, cheaply."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

# Django's format characters that strftime writes the same way (numbers only: names of days
# and months are translated by Django, not by the C library's locale).
_STRFTIME = {"d": "%d", "m": "%m", "Y": "%Y", "y": "%y", "H": "%H", "i": "%M", "s": "%S"}


def date_formatter(format_name: str = "SHORT_DATE_FORMAT") -> Callable[[dt.date], str]:
    """``date_format(value, format_name)`` for the many dates of one page: the active
    language's format is looked up once, and when it is made of numbers only (``d.m.Y``,
    ``m/d/Y``) it becomes a strftime pattern; other formats go through Django's formatter."""
    from django.utils import dateformat
    from django.utils.formats import get_format

    fmt = str(get_format(format_name))
    if "%" not in fmt and "\\" not in fmt and all(c in _STRFTIME or not c.isalpha() for c in fmt):
        pattern = "".join(_STRFTIME.get(c, c) for c in fmt)
        return lambda value: value.strftime(pattern)
    return lambda value: dateformat.format(value, fmt)

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation
from django.utils.formats import date_format

from kabinet.lib.dates import date_formatter

MOMENTS = [
    dt.date(2026, 1, 5),
    dt.date(1999, 12, 31),
    dt.datetime(2026, 11, 30, 0, 5, 9),
    dt.datetime(2026, 7, 4, 13, 45, 0),
]


@pytest.mark.parametrize("language", ["ru", "en"])
@pytest.mark.parametrize(
    "name", ["SHORT_DATE_FORMAT", "SHORT_DATETIME_FORMAT", "DATE_FORMAT", "DATETIME_FORMAT"]
)
def test_the_formatter_writes_what_date_format_writes(language, name):
    with translation.override(language):
        formatted = date_formatter(name)
        for moment in MOMENTS:
            if "DATETIME" in name and not isinstance(moment, dt.datetime):
                continue
            assert formatted(moment) == date_format(moment, name), (language, name, moment)


def test_numeric_formats_take_the_quick_path():
    with translation.override("ru"):
        assert date_formatter("SHORT_DATE_FORMAT")(dt.date(2026, 3, 7)) == "07.03.2026"
    with translation.override("en"):
        assert date_formatter("SHORT_DATE_FORMAT")(dt.date(2026, 3, 7)) == "03/07/2026"

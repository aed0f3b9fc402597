"""The filter of the calls page and its exports (GET): period, numbers, direction, zone."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import CallDirection, CallZone
from .selectors import MAX_DAYS, CallFilter, Cursor, Period, parse_cursor, this_month

MONTH_RE = re.compile(r"(\d{4})-(\d\d)")
# What people type around a number: +7 (812) 400-10-01.
NUMBER_DECOR = re.compile(r"[\s()+\-.]")
FIRST_YEAR, LAST_YEAR = 2000, 2100


def _digits(value: str, *, longest: int) -> str:
    digits = NUMBER_DECOR.sub("", value)
    if digits and (not digits.isascii() or not digits.isdigit() or len(digits) > longest):
        raise forms.ValidationError(
            _("Enter digits of a phone number, at most %(count)s."), params={"count": longest}
        )
    return digits


def _date_field(label: Any) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class CallFilterForm(forms.Form):
    month = forms.CharField(
        label=_("Month"),
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-11"}),
    )
    date_from = _date_field(_("From"))
    date_to = _date_field(_("To"))
    number = forms.CharField(
        label=_("Own number"),
        required=False,
        max_length=30,
        widget=forms.TextInput({"inputmode": "tel"}),
    )
    direction = forms.ChoiceField(
        label=_("Direction"),
        required=False,
        choices=[("", pgettext_lazy("direction", "Any")), *list(CallDirection.choices)],
    )
    zone = forms.ChoiceField(
        label=_("Zone"),
        required=False,
        choices=[("", pgettext_lazy("zone", "Any")), *list(CallZone.choices)],
    )
    peer = forms.CharField(
        label=_("Other party"),
        required=False,
        max_length=30,
        help_text=_("The number or its beginning."),
    )
    min_duration = forms.IntegerField(
        label=_("At least, seconds"), required=False, min_value=0, max_value=7 * 86400
    )
    after = forms.CharField(required=False, max_length=80, widget=forms.HiddenInput)

    def clean_month(self) -> tuple[int, int] | None:
        value = self.cleaned_data["month"].strip()
        if not value:
            return None
        match = MONTH_RE.fullmatch(value)
        if not match or not (
            FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR and 1 <= int(match.group(2)) <= 12
        ):
            raise forms.ValidationError(_("Enter a month as YYYY-MM, for example 2026-11."))
        return int(match.group(1)), int(match.group(2))

    def _year_ok(self, name: str) -> dt.date | None:
        value = self.cleaned_data[name]
        if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise forms.ValidationError(_("Enter a date between 2000 and 2100."))
        return value

    def clean_from_(self) -> dt.date | None:
        return self._year_ok("from")

    def clean_to_(self) -> dt.date | None:
        return self._year_ok("to")

    def clean_number(self) -> str:
        return _digits(self.cleaned_data["number"], longest=15)

    def clean_peer(self) -> str:
        return _digits(self.cleaned_data["peer"], longest=20)

    def clean_after(self) -> Cursor | None:
        value = self.cleaned_data["after"].strip()
        if not value:
            return None
        cursor = parse_cursor(value)
        if cursor is None:
            raise forms.ValidationError(
                _("This page link is broken. Open the list from its first page.")
            )
        return cursor

    def clean(self) -> dict[str, Any] | None:
        data = super().clean() or {}
        start: dt.date | None = data.get("from")
        end: dt.date | None = data.get("to")
        if self.errors:
            return data
        if start or end:
            if start is None:
                assert end is not None
                start = end - dt.timedelta(days=MAX_DAYS - 1)
            if end is None:
                end = start + dt.timedelta(days=MAX_DAYS - 1)
            if end < start:
                raise forms.ValidationError(_("The period ends before it starts."))
            if (end - start).days + 1 > MAX_DAYS:
                raise forms.ValidationError(
                    _("A period is at most %(days)s days: choose a shorter one."),
                    params={"days": MAX_DAYS},
                )
            data["period"] = Period.of_days(start, end)
        else:
            month = data.get("month")
            data["period"] = Period.of_month(month) if month else this_month()
        return data

    def filter(self) -> CallFilter:
        """The valid filter (call after ``is_valid()`` is true)."""
        data = self.cleaned_data
        return CallFilter(
            period=data["period"],
            number=data["number"],
            direction=data["direction"],
            zone=data["zone"],
            peer=data["peer"],
            min_duration=data["min_duration"],
            after=data["after"],
        )


# The query string says ?from=&to=; ``from`` is a Python keyword, so the fields are renamed.
CallFilterForm.base_fields = {
    {"date_from": "from", "date_to": "to"}.get(name, name): field
    for name, field in CallFilterForm.base_fields.items()
}
CallFilterForm.clean_from = CallFilterForm.clean_from_  # type: ignore[attr-defined]
CallFilterForm.clean_to = CallFilterForm.clean_to_  # type: ignore[attr-defined]

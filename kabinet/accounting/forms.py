"""Forms of the client's invoices and reconciliation statements."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from kabinet.accounts.models import Client
from kabinet.lib.money import display_money
from kabinet.payments.forms import amount_field, parse_amount_input

from .periods import month_start
from .services import invoice_periods

MAX_STATEMENT_DAYS = 3 * 366


class InvoiceForm(forms.Form):
    amount = amount_field()
    period = forms.ChoiceField(label=_("For the month"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        period = self.fields["period"]
        assert isinstance(period, forms.ChoiceField)
        period.choices = [
            (p.isoformat(), formats.date_format(p, "YEAR_MONTH_FORMAT")) for p in invoice_periods()
        ]
        self.fields["amount"].help_text = _("From %(min)s to %(max)s.") % {
            "min": display_money(settings.KABINET_INVOICE_MIN),
            "max": display_money(settings.KABINET_INVOICE_MAX),
        }

    def clean_amount(self) -> Decimal:
        amount = parse_amount_input(self.cleaned_data["amount"])
        low, high = settings.KABINET_INVOICE_MIN, settings.KABINET_INVOICE_MAX
        if not low <= amount <= high:
            raise forms.ValidationError(
                _("The amount must be from %(min)s to %(max)s."),
                code="range",
                params={"min": display_money(low), "max": display_money(high)},
            )
        return amount

    def clean_period(self) -> dt.date:
        return dt.date.fromisoformat(self.cleaned_data["period"])


class InvoiceEmailForm(forms.Form):
    to = forms.EmailField(
        label=_("Colleague's e-mail"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Optional; added below the standard text."),
    )


def last_quarter(today: dt.date) -> tuple[dt.date, dt.date]:
    """The last full calendar quarter before ``today``."""
    this_quarter = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    end = this_quarter - dt.timedelta(days=1)
    start = dt.date(end.year, 3 * ((end.month - 1) // 3) + 1, 1)
    return start, end


def quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


# Periods offered with one click above the form (?period=…), each ending today or earlier.
PRESETS: dict[str, Any] = {
    "last_quarter": (_("Last quarter"), last_quarter),
    "this_quarter": (_("This quarter so far"), lambda today: (quarter_start(today), today)),
    "this_year": (_("This year so far"), lambda today: (dt.date(today.year, 1, 1), today)),
    "last_year": (
        _("Last year"),
        lambda today: (dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31)),
    ),
}


class StatementForm(forms.Form):
    date_from = forms.DateField(
        label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    date_to = forms.DateField(
        label=_("To"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(
        self, *args: Any, client: Client, preset: str = "last_quarter", **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.client = client
        _label, period = PRESETS.get(preset, PRESETS["last_quarter"])
        start, end = period(timezone.localdate())
        self.fields["date_from"].initial = start
        self.fields["date_to"].initial = end

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start is None or end is None:
            return data
        today = timezone.localdate()
        contract_start = month_start(timezone.localdate(self.client.created_at))
        if start > end:
            raise forms.ValidationError(_("The first day must not be after the last one."))
        if end > today:
            raise forms.ValidationError(
                _("The period must end today or earlier: a statement covers what has happened.")
            )
        if end < contract_start:
            raise forms.ValidationError(
                _("The contract started on %(date)s: choose a period after that."),
                params={"date": formats.date_format(contract_start, "SHORT_DATE_FORMAT")},
            )
        if (end - start).days > MAX_STATEMENT_DAYS:
            raise forms.ValidationError(_("A statement covers at most three years."))
        return data

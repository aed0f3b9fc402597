from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kabinet.lib.money import display_money
from kabinet.payments.forms import amount_field, parse_amount_input

from .models import CreditRules, CreditStatus


class TakeForm(forms.Form):
    amount = amount_field()
    accept = forms.BooleanField(
        label=_("I have read the terms and take the promised payment on them"), required=True
    )

    def __init__(self, *args: Any, limit: Decimal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit = limit
        self.fields["amount"].help_text = _("From 1 ₽ to %(limit)s.") % {
            "limit": display_money(limit)
        }

    def clean_amount(self) -> Decimal:
        amount = parse_amount_input(self.cleaned_data["amount"])
        if not Decimal("1.00") <= amount <= self.limit:
            raise forms.ValidationError(
                _("The amount must be from 1 ₽ to %(limit)s."),
                code="range",
                params={"limit": display_money(self.limit)},
            )
        return amount


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Why it is revoked"), max_length=300)


class RulesForm(forms.ModelForm):
    class Meta:
        model = CreditRules
        fields = ["enabled", "max_amount", "max_share", "valid_days", "per_30_days"]

    def clean_max_share(self) -> int:
        value = self.cleaned_data["max_share"]
        if value > 1000:
            raise forms.ValidationError(_("At most 1000 %."))
        return value

    def clean_valid_days(self) -> int:
        value = self.cleaned_data["valid_days"]
        if not 1 <= value <= 60:
            raise forms.ValidationError(_("From 1 to 60 days."))
        return value

    def clean_per_30_days(self) -> int:
        value = self.cleaned_data["per_30_days"]
        if value > 30:
            raise forms.ValidationError(_("At most 30."))
        return value

    def clean_max_amount(self) -> Decimal:
        value = self.cleaned_data["max_amount"]
        if value < 0 or value > Decimal("1000000"):
            raise forms.ValidationError(_("From 0 to 1 000 000 ₽."))
        return value


class BarForm(forms.Form):
    contract = forms.CharField(label=_("Contract"), max_length=20)
    reason = forms.CharField(label=_("Why"), max_length=300)


FILTERS = [
    ("open", CreditStatus.OPEN.label),
    ("overdue", CreditStatus.EXPIRED.label),
    ("paid", CreditStatus.PAID.label),
    ("revoked", CreditStatus.REVOKED.label),
    ("", _("All")),
]


class CreditFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("Show"), required=False, choices=FILTERS)
    contract = forms.CharField(label=_("Contract"), required=False, max_length=20)


class AutoInvoiceForm(forms.Form):
    enabled = forms.BooleanField(
        label=_("Issue an invoice automatically when the low-balance alert fires"),
        required=False,
    )
    days = forms.IntegerField(
        label=_("The invoice tops the balance up to, days of spending"),
        min_value=7,
        max_value=90,
        initial=30,
    )
    emails = forms.CharField(
        label=_("Accounting e-mails"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Where the invoice's PDF goes: up to five addresses, one per line."),
    )

    def clean_emails(self) -> list[str]:
        from django.core.validators import validate_email

        found = [e.strip().lower() for e in self.cleaned_data["emails"].replace(",", " ").split()]
        if len(found) > 5:
            raise forms.ValidationError(_("At most five addresses."))
        for address in found:
            if len(address) > 254:
                raise forms.ValidationError(_("An address is too long."))
            try:
                validate_email(address)
            except forms.ValidationError:
                raise forms.ValidationError(
                    _("“%(address)s” is not an e-mail address."), params={"address": address[:60]}
                ) from None
        return list(dict.fromkeys(found))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("enabled") and not data.get("emails"):
            self.add_error(
                "emails", _("Give at least one accounting e-mail to send the invoices to.")
            )
        return data


class AutopayForm(forms.Form):
    """Turning card autopay on: the amount charged when the balance runs low, the first
    payment (which saves the card) and the e-mail for receipts; then the consent."""

    amount = amount_field(label=_("Amount charged when the balance runs low"))
    first_amount = amount_field(label=_("First payment now, which saves the card"))
    email = forms.EmailField(label=_("E-mail for receipts"), max_length=254)
    # Second step: the exact terms shown, and the administrator's agreement to them.
    consent = forms.CharField(widget=forms.HiddenInput, required=False, max_length=2000)
    accept = forms.BooleanField(
        label=_("I have read the terms and allow these charges"), required=False
    )

    def __init__(self, *args: Any, low: Decimal, high: Decimal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.low, self.high = low, high
        self.fields["amount"].help_text = _("From %(low)s to %(high)s.") % {
            "low": display_money(low),
            "high": display_money(high),
        }

    def clean_amount(self) -> Decimal:
        amount = parse_amount_input(self.cleaned_data["amount"])
        if not self.low <= amount <= self.high:
            raise forms.ValidationError(
                _("The amount must be from %(low)s to %(high)s."),
                code="range",
                params={"low": display_money(self.low), "high": display_money(self.high)},
            )
        return amount

    def clean_first_amount(self) -> Decimal:
        amount = parse_amount_input(self.cleaned_data["first_amount"])
        low, high = settings.KABINET_PAYMENT_MIN, settings.KABINET_PAYMENT_MAX
        if not low <= amount <= high:
            raise forms.ValidationError(
                _("The amount must be from %(low)s to %(high)s."),
                code="range",
                params={"low": display_money(low), "high": display_money(high)},
            )
        return amount


class AutopayAmountForm(forms.Form):
    amount = amount_field(label=_("Amount charged when the balance runs low"))

    def __init__(self, *args: Any, low: Decimal, high: Decimal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.low, self.high = low, high

    clean_amount = AutopayForm.clean_amount

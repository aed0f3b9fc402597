from __future__ import annotations

import re
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.conf import settings
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from kabinet.accounts.models import Client
from kabinet.core.templatetags.kabinet import money
from kabinet.lib.money import format_money

from .models import Channel, PaymentStatus, Provider
from .providers import pay_method, pay_methods

_AMOUNT_RE = re.compile(r"[0-9]{1,10}(\.[0-9]{1,2})?")


def parse_amount_input(value: str) -> Decimal:
    """What people type: "1500", "1 500,50", "1500.5". Two decimals at most, never float."""
    text = re.sub(r"[\s\u00a0\u202f]", "", str(value or "")).replace(",", ".")
    if not text:
        raise forms.ValidationError(_("Enter the amount."), code="required")
    if not _AMOUNT_RE.fullmatch(text):
        raise forms.ValidationError(
            _("Enter the amount in roubles, for example 1500 or 1500.50."), code="invalid"
        )
    try:
        return Decimal(text).quantize(Decimal("0.01"))
    except InvalidOperation as exc:  # pragma: no cover - the pattern rules it out
        raise forms.ValidationError(_("Enter a valid amount."), code="invalid") from exc


def check_payment_range(amount: Decimal) -> None:
    low, high = settings.KABINET_PAYMENT_MIN, settings.KABINET_PAYMENT_MAX
    if not low <= amount <= high:
        raise forms.ValidationError(
            _("The amount must be from %(min)s to %(max)s RUB."),
            code="range",
            params={"min": format_money(low), "max": format_money(high)},
        )


def amount_field(**kwargs: Any) -> forms.CharField:
    return forms.CharField(
        label=kwargs.pop("label", _("Amount, RUB")),
        max_length=20,
        widget=forms.TextInput(
            attrs={"inputmode": "decimal", "autocomplete": "off", "placeholder": "1500.00"}
        ),
        **kwargs,
    )


def amount_hint() -> str:
    return _("From %(min)s to %(max)s, for example 1500 or 1500.50.") % {
        "min": money(settings.KABINET_PAYMENT_MIN),
        "max": money(settings.KABINET_PAYMENT_MAX),
    }


def find_payable_client(contract: str) -> Client:
    contract = (contract or "").strip()
    if not contract.isdigit() or len(contract) > 20 or not contract.isascii():
        raise forms.ValidationError(_("Enter the contract number: digits only."), code="invalid")
    client = Client.objects.filter(contract_number=contract).first()
    if client is None:
        raise forms.ValidationError(_("There is no contract with this number."), code="unknown")
    if client.is_closed:
        raise forms.ValidationError(
            _("This contract is closed and does not accept payments."), code="closed"
        )
    return client


class PayMethodMixin(forms.Form):
    """The ways to pay that the enabled providers offer; with one there is no choice shown.

    When receipts are on (54-FZ) and the chosen network sends them, the payer's e-mail is
    required: the receipt goes there.
    """

    def add_method_field(self) -> None:
        methods = pay_methods()
        self.pay_methods = methods
        choices = [(m.key, m.label) for m in methods]
        self.fields["method"] = forms.ChoiceField(
            label=_("How to pay"),
            choices=choices,
            initial=choices[0][0] if choices else "",
            widget=forms.RadioSelect if len(choices) > 1 else forms.HiddenInput,
            error_messages={"invalid_choice": _("Choose one of the ways to pay.")},
        )
        if len(choices) == 1:
            self.fields["method"].required = False

    def clean_method(self) -> str:
        key = self.cleaned_data.get("method") or (
            self.pay_methods[0].key if self.pay_methods else ""
        )
        if pay_method(key) is None:
            raise forms.ValidationError(_("Choose one of the ways to pay."), code="invalid_choice")
        return key

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.pay_methods:
            # Only agent networks are on: nothing to pay with here.
            self.add_error(
                None,
                _(
                    "Paying by card is not available. "
                    "Pay at a payment terminal or through an agent."
                ),
            )
            return data
        chosen = pay_method(data.get("method", ""))
        if (
            chosen is not None
            and chosen.provider == "yookassa"
            and settings.KABINET_RECEIPTS
            and "email" in self.fields
            and not data.get("email")
            and "email" not in self.errors
        ):
            self.add_error(
                "email",
                forms.ValidationError(
                    _("Enter an e-mail: the receipt that the law requires is sent there."),
                    code="required",
                ),
            )
        return data


class PayForm(PayMethodMixin):
    """The public pay form: anyone may pay to any open contract."""

    contract = forms.CharField(
        label=_("Contract number"),
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "off",
                "placeholder": "100001",
                "hx-get": reverse_lazy("site:pay_recipient"),
                "hx-trigger": "input changed delay:400ms, change",
                "hx-target": "#recipient",
                "hx-swap": "outerHTML",
            }
        ),
    )
    amount = amount_field()
    email = forms.EmailField(
        label=_("E-mail for the receipt"),
        required=False,
        max_length=254,
        help_text=_("Optional. The gateway sends the receipt there."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["amount"].help_text = amount_hint()
        self.add_method_field()

    def clean_contract(self) -> str:
        self.client = find_payable_client(self.cleaned_data["contract"])
        return self.client.contract_number

    def clean_amount(self) -> Decimal:
        amount = parse_amount_input(self.cleaned_data["amount"])
        check_payment_range(amount)
        return amount


class CabinetPayForm(PayMethodMixin):
    """The client cabinet's pay form: the contract is the user's own."""

    amount = amount_field()
    email = forms.EmailField(
        label=_("E-mail for the receipt"),
        required=False,
        max_length=254,
        help_text=_("The payment gateway sends its receipt there."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["amount"].help_text = amount_hint()
        self.add_method_field()

    def clean_amount(self) -> Decimal:
        amount = parse_amount_input(self.cleaned_data["amount"])
        check_payment_range(amount)
        return amount


class PaymentFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), ("flagged", _("Flagged")), *PaymentStatus.choices],
    )
    provider = forms.ChoiceField(
        label=_("Provider"), required=False, choices=[("", _("Any provider")), *Provider.choices]
    )
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("Any channel")), *Channel.choices]
    )
    contract = forms.CharField(
        label=_("Contract"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    date_from = forms.DateField(
        label=_("Date from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Date to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    amount_min = forms.CharField(label=_("Amount from"), required=False, max_length=20)
    amount_max = forms.CharField(label=_("Amount to"), required=False, max_length=20)

    def _clean_date(self, name: str) -> Any:
        day = self.cleaned_data[name]
        if day is not None and not 2000 <= day.year <= 2100:
            raise forms.ValidationError(_("Enter a date between 2000 and 2100."))
        return day

    def clean_date_from(self) -> Any:
        return self._clean_date("date_from")

    def clean_date_to(self) -> Any:
        return self._clean_date("date_to")

    def clean_contract(self) -> str:
        contract = self.cleaned_data["contract"].strip()
        if contract and not (contract.isdigit() and contract.isascii()):
            raise forms.ValidationError(_("Digits only."))
        return contract

    def _clean_amount(self, name: str) -> Decimal | None:
        value = self.cleaned_data[name]
        return parse_amount_input(value) if value.strip() else None

    def clean_amount_min(self) -> Decimal | None:
        return self._clean_amount("amount_min")

    def clean_amount_max(self) -> Decimal | None:
        return self._clean_amount("amount_max")


class VoidForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (the client sees it)"),
        max_length=500,
        help_text=_("Sent to the client's users in the notification, for example a wrong amount."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm = forms.BooleanField(label=_("Yes, return the money to the payer"), required=True)


class RefundForm(forms.Form):
    key = forms.UUIDField(widget=forms.HiddenInput)
    amount = amount_field(label=_("Amount to refund, RUB"))
    reason = forms.CharField(
        label=_("Reason (the client sees it)"),
        max_length=500,
        help_text=_("Sent to the client's users in the notification."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm = forms.BooleanField(label=_("Yes, refund this amount"), required=True)

    def __init__(self, *args: Any, refundable: Decimal, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("key", uuid.uuid4())
        super().__init__(*args, **kwargs)
        self.refundable = refundable
        self.fields["amount"].help_text = _("At most %(max)s RUB.") % {
            "max": format_money(refundable)
        }

    def clean_amount(self) -> Decimal:
        amount = parse_amount_input(self.cleaned_data["amount"])
        if amount <= 0 or amount > self.refundable:
            raise forms.ValidationError(
                _("The amount must be more than 0 and at most %(max)s RUB."),
                params={"max": format_money(self.refundable)},
            )
        return amount


class FlagClearForm(forms.Form):
    note = forms.CharField(
        label=_("What was checked"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )

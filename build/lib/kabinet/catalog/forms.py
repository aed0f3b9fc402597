from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kabinet.accounts.models import Client

from .models import ParameterSpec, ParamType, Service, Tariff
from .services import earliest_price_change_date


class ServiceForm(forms.ModelForm):
    class Meta:
        model = Service
        fields = ["code", "name", "name_en", "description", "is_active", "position"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "code": _(
                "Lower-case Latin letters, digits, - and _; billing knows the service by it. "
                "Cannot be changed later."
            ),
            "description": _("For the operator's staff only; the public text is on the site."),
            "position": _("Lower numbers come first in lists."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["code"].disabled = True  # billing knows services by their code


class ParameterForm(forms.ModelForm):
    default = forms.CharField(
        label=_("Default"),
        required=False,
        max_length=200,
        help_text=_("For yes/no: yes or no. For a choice: one of the values."),
    )
    choices_text = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line: value | Russian label | English label"),
    )

    class Meta:
        model = ParameterSpec
        fields = [
            "code",
            "type",
            "label",
            "label_en",
            "help",
            "help_en",
            "default",
            "min_value",
            "max_value",
            "pattern",
            "required",
            "client_editable",
            "needs_approval",
            "position",
        ]
        help_texts = {
            "code": _(
                "Lower-case Latin letters, digits, - and _, for example lines. Rules and "
                "billing use it; cannot be changed later."
            ),
            "help": _("Shown under the field to the client, in Russian."),
            "help_en": _("Shown under the field to the client, in English."),
            "min_value": _("For a whole number: the smallest value allowed."),
            "max_value": _("For a whole number: the largest value allowed."),
            "pattern": _("For text: a regular expression the whole value must match."),
            "required": _("The value can never be left empty."),
            "client_editable": _("The client can change it in the cabinet."),
            "needs_approval": _("A client's change files a request instead of applying at once."),
            "position": _("Lower numbers come first on the form."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        spec = self.instance
        if spec.pk:
            self.fields["code"].disabled = True
            default = spec.default
            if spec.type == ParamType.BOOL and default is not None:
                default = "yes" if default else "no"
            self.initial["default"] = "" if default is None else str(default)
            self.initial["choices_text"] = "\n".join(
                f"{c.get('value', '')} | {c.get('label', '')} | {c.get('label_en', '')}"
                for c in spec.choices
            )

    def clean_choices_text(self) -> list[dict[str, str]]:
        choices = []
        for number, line in enumerate(self.cleaned_data["choices_text"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")]
            if not parts[0]:
                raise forms.ValidationError(_("Line %(n)s has no value.") % {"n": number})
            choices.append(
                {
                    "value": parts[0],
                    "label": parts[1] if len(parts) > 1 and parts[1] else parts[0],
                    "label_en": parts[2] if len(parts) > 2 else "",
                }
            )
        return choices

    def clean_default(self) -> object:
        raw = self.cleaned_data["default"].strip()
        if raw == "":
            return None
        if self.cleaned_data.get("type") == ParamType.BOOL:
            if raw.lower() in {"yes", "да", "true", "1", "on"}:
                return True
            if raw.lower() in {"no", "нет", "false", "0", "off"}:
                return False
            raise forms.ValidationError(_("Write yes or no."))
        return raw

    def spec_data(self) -> dict[str, Any]:
        data = {f: self.cleaned_data[f] for f in self.Meta.fields if f in self.cleaned_data}
        if self.instance.pk:
            data.pop("code", None)
        data["choices"] = self.cleaned_data["choices_text"]
        return data


PRICE_LABELS = {
    "monthly_fee": _("Monthly fee, ₽"),
    "setup_fee": _("Set-up fee, ₽"),
    "per_minute_local": _("Local calls, ₽ per minute"),
    "per_minute_long_distance": _("Long-distance calls, ₽ per minute"),
    "per_minute_international": _("International calls, ₽ per minute"),
}


def _price_field(label: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )


class PricesMixin(forms.Form):
    monthly_fee = _price_field(PRICE_LABELS["monthly_fee"])
    setup_fee = _price_field(PRICE_LABELS["setup_fee"])
    per_minute_local = _price_field(PRICE_LABELS["per_minute_local"])
    per_minute_long_distance = _price_field(PRICE_LABELS["per_minute_long_distance"])
    per_minute_international = _price_field(PRICE_LABELS["per_minute_international"])

    def prices(self) -> dict[str, Decimal]:
        return {name: self.cleaned_data[name] for name in PRICE_LABELS}


class TariffForm(forms.ModelForm):
    class Meta:
        model = Tariff
        fields = ["code", "name", "name_en", "description", "description_en", "visibility"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "description_en": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "code": _(
                "Lower-case Latin letters, digits, - and _; billing knows the tariff by it. "
                "Cannot be changed later."
            ),
            "visibility": _(
                "Public: advertised and sold. Archived: no longer sold or shown; clients on it "
                "keep it. Exclusive: offered only to the clients you name."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["code"].disabled = True


class TariffCreateForm(TariffForm, PricesMixin):
    pass


class PriceChangeForm(PricesMixin):
    effective_from = forms.DateField(
        label=_("Effective from"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        earliest = earliest_price_change_date()
        self.fields["effective_from"].help_text = _(
            "No earlier than %(date)s: clients are told in advance."
        ) % {"date": earliest.strftime("%d.%m.%Y")}
        self.fields["effective_from"].widget.attrs["min"] = earliest.isoformat()

    def clean_effective_from(self) -> Any:
        value = self.cleaned_data["effective_from"]
        if value < earliest_price_change_date():
            raise forms.ValidationError(
                _("No earlier than %(date)s.")
                % {"date": earliest_price_change_date().strftime("%d.%m.%Y")}
            )
        if value > timezone.localdate().replace(year=timezone.localdate().year + 5):
            raise forms.ValidationError(_("Too far in the future."))
        return value


class OffersForm(forms.Form):
    contracts = forms.CharField(
        label=_("Contract numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The clients this tariff is offered to, separated by spaces or commas."),
    )

    def clean_contracts(self) -> list[Client]:
        raw = self.cleaned_data["contracts"].replace(",", " ").split()
        numbers = list(dict.fromkeys(raw))
        clients = {c.contract_number: c for c in Client.objects.filter(contract_number__in=numbers)}
        unknown = [n for n in numbers if n not in clients]
        if unknown:
            raise forms.ValidationError(
                _("No such contracts: %(numbers)s") % {"numbers": ", ".join(unknown)}
            )
        return [clients[n] for n in numbers]


class MoveForm(forms.Form):
    target = forms.ModelChoiceField(
        label=_("Move every subscription to"), queryset=Tariff.objects.none()
    )
    confirm = forms.BooleanField(label=_("Yes, move them and notify the clients"))

    def __init__(self, *args: Any, tariff: Tariff, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = (  # type: ignore[attr-defined]
            Tariff.objects.alive().filter(service=tariff.service).exclude(pk=tariff.pk)
        )


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(label=_("Yes, I am sure"))

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kabinet.catalog.models import ParameterSpec, ParamType, Tariff
from kabinet.catalog.params import clean_value


class ParametersForm(forms.Form):
    """A form built from a service's parameter schema.

    Django's fields only draw the widgets; every value is checked by the schema
    (``kabinet.catalog.params``) from the raw data, so a forged POST meets the same rules.
    """

    def __init__(
        self,
        *args: Any,
        specs: list[ParameterSpec],
        values: dict[str, Any] | None = None,
        for_client: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.specs = specs
        self.for_client = for_client
        values = values or {}
        for spec in specs:
            current = values.get(spec.code, spec.default)
            self.fields[spec.code] = self._field(spec)
            self.initial[spec.code] = current
            if for_client and spec.needs_approval:
                hint = gettext("Changed after your manager approves.")
                help_text = self.fields[spec.code].help_text
                self.fields[spec.code].help_text = f"{help_text}. {hint}" if help_text else hint

    @staticmethod
    def _field(spec: ParameterSpec) -> forms.Field:
        common: dict[str, Any] = {"label": spec.display_label, "help_text": spec.display_help}
        if spec.type == ParamType.BOOL:
            return forms.BooleanField(required=False, **common)
        if spec.type == ParamType.INT:
            attrs = {}
            if spec.min_value is not None:
                attrs["min"] = spec.min_value
            if spec.max_value is not None:
                attrs["max"] = spec.max_value
            return forms.CharField(
                required=spec.required, widget=forms.NumberInput(attrs=attrs), **common
            )
        if spec.type == ParamType.CHOICE:
            choices = [(c["value"], spec.choice_label(c["value"])) for c in spec.choices]
            if not spec.required:
                choices = [("", "—"), *choices]
            return forms.ChoiceField(choices=choices, required=spec.required, **common)
        if spec.type == ParamType.PHONE:
            return forms.CharField(
                required=spec.required,
                max_length=32,
                widget=forms.TextInput(attrs={"type": "tel", "placeholder": "+78121234567"}),
                **common,
            )
        return forms.CharField(required=spec.required, max_length=200, **common)

    def clean(self) -> dict[str, Any]:
        super().clean()
        values: dict[str, Any] = {}
        for spec in self.specs:
            if spec.code in self.errors:
                continue
            raw = self.data.get(spec.code)
            if spec.type == ParamType.BOOL and raw is None:
                raw = "off"  # an unticked checkbox sends nothing
            try:
                values[spec.code] = clean_value(spec, raw)
            except forms.ValidationError as exc:
                self.add_error(spec.code, exc)
        self.values = values
        return values


class TariffChoiceForm(forms.Form):
    tariff = forms.ModelChoiceField(
        label=_("Tariff"), queryset=Tariff.objects.none(), empty_label=None
    )

    def __init__(self, *args: Any, tariffs: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tariff"].queryset = tariffs  # type: ignore[attr-defined]
        self.fields["tariff"].label_from_instance = lambda t: t.display_name  # type: ignore[attr-defined]


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=[
            ("active", _("Active")),
            ("suspended", _("Suspended")),
            ("closed", _("Disconnected")),
        ]
    )

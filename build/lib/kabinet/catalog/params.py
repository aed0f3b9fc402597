"""Validating parameter values against a service's schema.

Values arrive as form strings (or a forged POST): each is parsed to its JSON type or
refused with a message the user can act on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import ParameterSpec, ParamType

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
TRUE_VALUES = {"on", "true", "1", "yes"}
FALSE_VALUES = {"", "off", "false", "0", "no"}
MAX_TEXT = 200


def normalise_phone(raw: str) -> str:
    cleaned = re.sub(r"[\s\-()]", "", raw)
    if cleaned.startswith("8") and len(cleaned) == 11:
        cleaned = "+7" + cleaned[1:]  # Russian trunk prefix, as people type it
    return cleaned


def clean_value(spec: ParameterSpec, raw: Any) -> Any:
    """Parse one raw value; raises ValidationError with a clear message."""
    if spec.type == ParamType.BOOL:
        if isinstance(raw, bool):
            return raw
        text = str(raw if raw is not None else "").strip().lower()
        if text in TRUE_VALUES:
            return True
        if text in FALSE_VALUES:
            return False
        raise ValidationError(_("Choose yes or no."))
    text = "" if raw is None else str(raw).strip()
    if text == "":
        if spec.required:
            raise ValidationError(_("This value is required."))
        return None
    if spec.type == ParamType.INT:
        if not re.fullmatch(r"-?[0-9]{1,12}", text):
            raise ValidationError(_("Enter a whole number."))
        value = int(text)
        if spec.min_value is not None and value < spec.min_value:
            raise ValidationError(_("The smallest allowed value is %(n)s.") % {"n": spec.min_value})
        if spec.max_value is not None and value > spec.max_value:
            raise ValidationError(_("The largest allowed value is %(n)s.") % {"n": spec.max_value})
        return value
    if spec.type == ParamType.CHOICE:
        allowed = [c.get("value") for c in spec.choices]
        if text not in allowed:
            raise ValidationError(_("Choose one of the offered values."))
        return text
    if spec.type == ParamType.PHONE:
        phone = normalise_phone(text)
        if not E164.fullmatch(phone):
            raise ValidationError(
                _("Enter the number in international format, for example +78121234567.")
            )
        return phone
    if len(text) > MAX_TEXT:
        raise ValidationError(_("At most %(n)s characters.") % {"n": MAX_TEXT})
    if spec.pattern and not re.fullmatch(spec.pattern, text):
        raise ValidationError(_("The value does not have the required format."))
    return text


def clean_values(
    specs: Iterable[ParameterSpec], raw: Mapping[str, Any], *, only: set[str] | None = None
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Clean every spec's value (or those in ``only``); returns values and errors by code."""
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for spec in specs:
        if only is not None and spec.code not in only:
            continue
        try:
            values[spec.code] = clean_value(spec, raw.get(spec.code))
        except ValidationError as exc:
            errors[spec.code] = exc.messages
    return values, errors


def defaults(specs: Iterable[ParameterSpec]) -> dict[str, Any]:
    return {spec.code: spec.default for spec in specs}


def validate_spec(spec: ParameterSpec) -> None:
    """A schema row must make sense before clients ever see it."""
    errors: dict[str, str] = {}
    if spec.type == ParamType.INT and (
        spec.min_value is not None
        and spec.max_value is not None
        and spec.min_value > spec.max_value
    ):
        errors["max_value"] = _("The maximum is below the minimum.")
    if spec.type == ParamType.CHOICE and not spec.choices:
        errors["choices"] = _("A choice needs at least one value.")
    if spec.type == ParamType.TEXT and spec.pattern:
        try:
            re.compile(spec.pattern)
        except re.error:
            errors["pattern"] = _("This is not a valid regular expression.")
    if spec.needs_approval and not spec.client_editable:
        errors["needs_approval"] = _("Approval only applies to parameters clients may change.")
    if not errors and spec.default not in (None, ""):
        try:
            spec.default = clean_value(spec, spec.default)
        except ValidationError as exc:
            errors["default"] = _("The default is not valid: %(error)s") % {
                "error": " ".join(exc.messages)
            }
    if errors:
        raise ValidationError(errors)

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

from kabinet.lib.money import display_money

register = template.Library()


@register.filter
def money(value: object) -> str:
    """1500 → «1 500,00 ₽» (or «1,500.00 ₽» in English), grouped by the active language."""
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return display_money(amount)


@register.filter
def signed_money(value: object) -> str:
    text = money(value)
    try:
        if Decimal(str(value)) > 0:
            return "+" + text
    except InvalidOperation:
        pass
    return text


@register.filter
def get_item(mapping: dict, key: object) -> object:
    return mapping.get(key) if isinstance(mapping, dict) else None

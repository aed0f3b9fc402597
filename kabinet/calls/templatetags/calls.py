from django import template

from kabinet.calls import formats

register = template.Library()


@register.filter
def duration(value: int) -> str:
    return formats.duration(value)


@register.filter
def phone(value: str) -> str:
    return formats.phone(value)

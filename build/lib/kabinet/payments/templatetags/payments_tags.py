from __future__ import annotations

from decimal import Decimal

from django import template

from kabinet.accounts.models import Client
from kabinet.payments import selectors

register = template.Library()


@register.simple_tag
def client_balance(client: Client) -> Decimal:
    return selectors.client_balance(client=client)


@register.simple_tag
def client_held_amount(client: Client) -> Decimal:
    return selectors.client_held_amount(client=client)

from __future__ import annotations

from django import template

from kabinet.accounts.models import Client

from ..selectors import Forecast, client_forecast

register = template.Library()


@register.simple_tag
def forecast_of(client: Client) -> Forecast:
    """The client's days-left forecast, computed now (the same figure as every screen)."""
    return client_forecast(client)

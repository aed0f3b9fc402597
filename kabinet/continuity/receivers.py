from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone

from . import services


def credit_covered(sender: Any, payment: Any, amount: Decimal, **kwargs: Any) -> None:
    """A payment was credited: it pays back the client's promised payment, if any."""
    services.credit_cover(client_id=payment.client_id, amount=amount, at=timezone.now())


def balance_low(sender: Any, client: Any, forecast: Any, **kwargs: Any) -> None:
    """The company's low-balance alert fired: its automatic invoice, if it asked for them."""
    services.auto_invoice_issue(client=client, forecast=forecast)

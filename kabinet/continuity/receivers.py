from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone

from . import services


def credit_covered(sender: Any, payment: Any, amount: Decimal, **kwargs: Any) -> None:
    """A payment was credited: it pays back the client's promised payment, if any."""
    services.credit_cover(client_id=payment.client_id, amount=amount, at=timezone.now())

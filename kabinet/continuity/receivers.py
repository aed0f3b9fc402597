from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone

from . import autopay, services


def credit_covered(sender: Any, payment: Any, amount: Decimal, **kwargs: Any) -> None:
    """A payment was credited: it pays back the client's promised payment, if any."""
    services.credit_cover(client_id=payment.client_id, amount=amount, at=timezone.now())
    if payment.autopay:
        autopay.charge_paid(payment=payment)


def balance_low(sender: Any, client: Any, forecast: Any, **kwargs: Any) -> None:
    """The company's low-balance alert fired: its automatic invoice, if it asked for them."""
    services.auto_invoice_issue(client=client, forecast=forecast)


def autopay_on_low(sender: Any, client: Any, forecast: Any, **kwargs: Any) -> None:
    """The company's low-balance alert fired: a charge of its saved card, if autopay is on."""
    autopay.charge_on_low_balance(client=client)


def card_saved(sender: Any, payment: Any, method_id: str, title: str, **kwargs: Any) -> None:
    """The card of a payment made to turn autopay on was saved by the network."""
    autopay.card_saved(payment=payment, method_id=method_id, title=title)


def payment_declined(sender: Any, payment: Any, reason: str, **kwargs: Any) -> None:
    """A card payment was declined: an autopay charge, or the payment to turn it on."""
    autopay.payment_declined(payment=payment, reason=reason)

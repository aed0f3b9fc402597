from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from django.utils import timezone

from . import autopay, services

logger = logging.getLogger(__name__)


def credit_covered(sender: Any, payment: Any, amount: Decimal, **kwargs: Any) -> None:
    """A payment was credited: it pays back the client's promised payment, if any."""
    services.credit_cover(client_id=payment.client_id, amount=amount, at=timezone.now())
    if payment.autopay:
        autopay.charge_paid(payment=payment)


def balance_low(sender: Any, alerts: list[tuple[Any, Any]], **kwargs: Any) -> None:
    """Companies' low-balance alerts fired (a batch of the pass): the automatic invoice of
    each that asked for them (one query finds them; a failing one does not stop the rest)."""
    wanted = services.auto_invoice_clients({client.pk for client, _f in alerts})
    for client, forecast in alerts:
        if client.pk in wanted:
            _each(services.auto_invoice_issue, client=client, forecast=forecast)


def autopay_on_low(sender: Any, alerts: list[tuple[Any, Any]], **kwargs: Any) -> None:
    """Companies' low-balance alerts fired: a charge of the saved card of each with autopay
    on (one query finds them)."""
    wanted = autopay.autopay_clients({client.pk for client, _f in alerts})
    for client, _forecast in alerts:
        if client.pk in wanted:
            _each(autopay.charge_on_low_balance, client=client)


def _each(action: Any, *, client: Any, **kwargs: Any) -> None:
    """One company's action; its failure is logged and the batch's others go on."""
    try:
        action(client=client, **kwargs)
    except Exception:
        logger.exception("%s failed for client %s", action.__name__, client.pk)


def card_saved(sender: Any, payment: Any, method_id: str, title: str, **kwargs: Any) -> None:
    """The card of a payment made to turn autopay on was saved by the network."""
    autopay.card_saved(payment=payment, method_id=method_id, title=title)


def payment_declined(sender: Any, payment: Any, reason: str, **kwargs: Any) -> None:
    """A card payment was declined: an autopay charge, or the payment to turn it on."""
    autopay.payment_declined(payment=payment, reason=reason)

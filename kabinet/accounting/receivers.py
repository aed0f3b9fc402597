"""What the accounting app does when other apps' events happen."""

from __future__ import annotations

from typing import Any

from kabinet.payments.models import Payment

from .services import invoice_mark_paid


def invoice_paid(sender: Any, *, payment: Payment, **kwargs: Any) -> None:
    """A bank payment billing received may pay one of the client's open invoices."""
    invoice_mark_paid(payment)

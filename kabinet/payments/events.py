"""Signals other apps listen to (the accounting app matches bank payments to invoices)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the import's transaction for each payment billing received (a bank transfer);
# ``payment`` is the new Payment.
payment_received = Signal()

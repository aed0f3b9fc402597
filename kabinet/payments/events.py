"""Signals other apps listen to (the accounting app matches bank payments to invoices)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the import's transaction for each payment billing received (a bank transfer);
# ``payment`` is the new Payment.
payment_received = Signal()

# Sent inside the transaction that credits money to a client's balance, whatever the channel
# (a captured card payment, a terminal's or an agent's, a bank transfer billing received):
# ``payment`` and the ``amount`` credited. Promised payments are paid back from it.
payment_credited = Signal()

# Sent inside the transaction that applies the network's answer, when a payment made with
# ``save_card`` is held or paid and the network saved the card: ``payment``, ``method_id``
# (the network's id of the saved method) and ``title`` (e.g. "Bank card *4444").
card_saved = Signal()

# Sent inside the transaction that applies the network's answer, when a card payment is
# declined: ``payment`` and ``reason`` (the network's reason code, may be "").
payment_declined = Signal()

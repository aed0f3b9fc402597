"""Signals other apps listen to (continuity issues automatic invoices on them)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent by the scheduled pass, inside its batch's transaction, once per crossing of a
# company's low-balance threshold (when the alert goes out): ``client`` and ``forecast``.
# Sent robustly: a failing receiver never stops the pass.
balance_low = Signal()

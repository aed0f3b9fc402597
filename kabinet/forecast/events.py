"""Signals other apps listen to (continuity issues automatic invoices on them)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent by the scheduled pass, inside its batch's transaction, once per batch with every
# crossing of a company's low-balance threshold in it (when the alerts go out): ``alerts``,
# a list of (client, forecast). Once per batch, so that a receiver reads what it needs for
# all of them in one query. Sent robustly: a failing receiver never stops the pass.
balance_low = Signal()

"""Counting what a refused action must leave alone."""

from __future__ import annotations

from kabinet.audit.models import AuditEntry
from kabinet.exchange.models import OutboxRecord
from kabinet.payments.models import LedgerEntry, Payment


def money_state() -> dict:
    """Everything money-related, to assert that a refused request changed nothing."""
    return {
        "payments": sorted(
            Payment.objects.values_list(
                "id", "status", "amount", "captured_amount", "refunded_amount", "flagged"
            )
        ),
        "ledger": sorted(LedgerEntry.objects.values_list("id", "amount")),
        "outbox": sorted(OutboxRecord.objects.values_list("id", "type")),
        "audit": AuditEntry.objects.count(),
    }

"""Demo: the operator's default rules, and client 100003 with a balance low enough to take a
promised payment (its administrator is client100003@kabinet.test)."""

from __future__ import annotations

from .services import rules_get


def load() -> list[str]:
    rules = rules_get()
    return [
        f"promised payments: up to {rules.max_amount} RUB and {rules.max_share}% of a month's "
        f"charges, {rules.valid_days} days, {rules.per_30_days} per 30 days"
    ]

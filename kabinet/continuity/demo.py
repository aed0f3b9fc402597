"""Demo: the operator's default rules, and client 100004 low enough to take a promised
payment — its administrator set the low-balance alert at 5 000 ₽ and its balance is below
(sign in as client100004@kabinet.test, "Balance and payments" → "Promised payment"). It also
asked for automatic invoices: the first forecast pass of the demo issues one and e-mails it
to its accountant (var/mail/); `python -m billingsim pay-invoice <number>` pays it."""

from __future__ import annotations

from decimal import Decimal

from kabinet.accounts.models import Client
from kabinet.forecast.models import AlertPolicy, ThresholdKind

from .models import AutoInvoicePolicy
from .services import offer_for, rules_get


def load() -> list[str]:
    rules = rules_get()
    lines = [
        f"promised payments: up to {rules.max_amount} RUB and {rules.max_share}% of a month's "
        f"charges, {rules.valid_days} days, {rules.per_30_days} per 30 days"
    ]
    client = Client.objects.filter(contract_number="100004").first()
    if client is not None:
        AlertPolicy.objects.update_or_create(
            client=client, defaults={"kind": ThresholdKind.MONEY, "amount": Decimal("5000.00")}
        )
        AutoInvoicePolicy.objects.get_or_create(
            client=client,
            defaults={"enabled": True, "days": 30, "emails": "buh@client100004.example"},
        )
        offer = offer_for(client)
        if offer.available:
            lines.append(f"client 100004 may take a promised payment of up to {offer.limit} RUB")
    return lines

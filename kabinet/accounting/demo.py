"""Demo invoices: two of 100001's and one of 100002's, issued through the real service so
they are numbered and go to billing; the exchange demo then has billingsim pay the first of
them by bank transfer. Idempotent; skipped when the operator's requisites are not set."""

from __future__ import annotations

from decimal import Decimal

from kabinet.accounts.models import Client, User

from . import requisites, services
from .models import Invoice

# (contract, the user who issues it, amount)
DEMO = [
    ("100001", "client100001@kabinet.test", Decimal("24000.00")),
    ("100001", "client100001@kabinet.test", Decimal("12500.00")),
    ("100002", "client100002@kabinet.test", Decimal("40000.00")),
]


def seed_accounting() -> list[str]:
    if Invoice.objects.exists():
        return ["Invoices: present, left as they are"]
    if requisites.problems():
        return ["Invoices: skipped (the operator's requisites are not set, see scripts/demo.env)"]
    issued = 0
    periods = services.invoice_periods()
    for contract, email, amount in DEMO:
        client = Client.objects.filter(contract_number=contract).first()
        user = User.objects.filter(email=email).first()
        if client is None or user is None:
            continue
        services.invoice_issue(client=client, actor=user, amount=amount, period=periods[1])
        issued += 1
    return [f"Invoices: {issued} issued (the first is paid by bank transfer in billingsim)"]


def invoice_to_pay() -> str | None:
    """The number of the demo invoice billingsim pays in the exchange demo."""
    invoice = Invoice.objects.filter(client__contract_number="100001").order_by("sequence").first()
    return invoice.number if invoice else None

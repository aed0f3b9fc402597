"""The client balance the rules' "balance at least" condition reads: the payments ledger."""

from __future__ import annotations

from decimal import Decimal

from kabinet.accounts.models import Client
from kabinet.payments.selectors import client_balance as ledger_balance


def client_balance(client: Client) -> Decimal:
    return ledger_balance(client=client)

"""The client balance the rules' "balance at least" condition reads: the one balance every
screen shows (billing's snapshot and the website's payments after it)."""

from __future__ import annotations

from decimal import Decimal

from kabinet.accounts.models import Client
from kabinet.payments.selectors import client_balance as one_balance


def client_balance(client: Client) -> Decimal:
    return one_balance(client=client)

"""The client balance the rules ask about.

The payments app owns balances. Until it is installed every balance reads as zero, so a
rule with a "balance at least" condition above zero matches nothing rather than guessing.
"""

from __future__ import annotations

import importlib
from decimal import Decimal
from typing import Any

from kabinet.accounts.models import Client


def client_balance(client: Client) -> Decimal:
    try:
        selectors: Any = importlib.import_module("kabinet.payments.selectors")
    except ModuleNotFoundError as exc:
        if exc.name not in ("kabinet.payments", "kabinet.payments.selectors"):
            raise
        return Decimal("0.00")
    return Decimal(selectors.client_balance(client))

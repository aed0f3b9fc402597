"""Money as the spec writes it: a string with exactly two decimals, always Decimal inside."""

from __future__ import annotations

import re
from decimal import Decimal

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
# Digits, a dot, two digits; no sign, exponent or leading zeros. 12 integer digits is
# far beyond any real payment and keeps SQLite text sorting and display sane.
_AMOUNT_RE = re.compile(r"(0|[1-9][0-9]{0,11})\.[0-9]{2}")


class AmountError(ValueError):
    pass


def parse_amount(value: object) -> Decimal:
    """Parse a positive wire amount like "1500.00"; numbers (floats) are refused."""
    if not isinstance(value, str):
        raise AmountError('amount must be a string with two decimals, e.g. "1500.00"')
    if not _AMOUNT_RE.fullmatch(value):
        raise AmountError(f"bad amount {value!r}: expected digits with two decimals")
    amount = Decimal(value)
    if amount <= ZERO:
        raise AmountError("amount must be greater than 0.00")
    return amount


def format_amount(amount: Decimal) -> str:
    return str(amount.quantize(CENT))

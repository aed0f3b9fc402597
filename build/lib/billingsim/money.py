"""Money helpers: RUB amounts as Decimal in code, integer kopecks in SQLite.

Kopecks keep SQL sums exact; the wire format is a string with exactly two
decimals, as the exchange contract demands.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

# Leading zeros are refused so every amount has one canonical spelling; the
# length cap keeps hostile input from producing absurd integers.
MONEY_RE = re.compile(r"-?(0|[1-9][0-9]{0,15})\.[0-9]{2}")
CENT = Decimal("0.01")


class MoneyError(ValueError):
    """A value is not a money string of the contract's shape."""


def check_money(value: object) -> str:
    """Validate a wire money string ("1500.00", "-12.50") without converting it."""
    if not isinstance(value, str):
        raise MoneyError(f"money must be a JSON string, got {type(value).__name__}")
    if not MONEY_RE.fullmatch(value):
        raise MoneyError(f"money must have exactly two decimals, got {value!r}")
    return value


def parse_money(value: object) -> Decimal:
    """Parse a wire money string into a Decimal."""
    return Decimal(check_money(value))


def wire_to_cents(value: str) -> int:
    """Kopecks straight from an already validated wire string ("-12.50" -> -1250).

    Skips Decimal on the import hot path: with exactly two decimals, dropping
    the point is exact.
    """
    return int(value.replace(".", ""))


def to_cents(amount: Decimal) -> int:
    """Decimal rubles to integer kopecks (rounding half up past two places)."""
    return int(amount.quantize(CENT, rounding=ROUND_HALF_UP) * 100)


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


def format_money(amount: Decimal) -> str:
    """Wire format: always two decimals, minus sign for negatives, no '-0.00'."""
    quantized = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    if quantized == 0:
        quantized = Decimal("0.00")
    return f"{quantized:.2f}"


def format_cents(cents: int) -> str:
    return format_money(from_cents(cents))


def format_rub_ru(amount: Decimal) -> str:
    """Russian human format for documents: '1 234,50'."""
    text = f"{amount.quantize(CENT, rounding=ROUND_HALF_UP):,.2f}"
    return text.replace(",", "\u00a0").replace(".", ",")

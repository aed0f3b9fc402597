"""Money is Decimal with two places (RUB); never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")


def to_money(value: Decimal | int | str) -> Decimal:
    """Quantise to kopecks; raises ValueError for anything that is not a finite number."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not a money amount: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"not a money amount: {value!r}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def format_money(amount: Decimal) -> str:
    """The wire form: a string with exactly two decimals ("1500.00", "-12.50")."""
    return f"{amount.quantize(CENT, rounding=ROUND_HALF_UP):.2f}"

"""Money is Decimal with two places (RUB); never float."""

from __future__ import annotations

from collections.abc import Callable
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


def display_money(amount: Decimal) -> str:
    """How a person reads money: «1 500,00 ₽» in Russian, «1,500.00 ₽» in English (the
    active language's grouping), the same as every page shows it."""
    from django.utils.formats import number_format

    return f"{number_format(amount, 2, use_l10n=True, force_grouping=True)}\u00a0₽"


def money_formatter() -> Callable[[Decimal], str]:
    """``display_money`` for the many amounts of one page (a list's rows, a chart's bars):
    the active language's separators are looked up once, not per amount."""
    from django.utils import numberformat
    from django.utils.formats import get_format

    decimal_sep = get_format("DECIMAL_SEPARATOR")
    thousand_sep = get_format("THOUSAND_SEPARATOR")
    grouping = get_format("NUMBER_GROUPING")

    def display(amount: Decimal) -> str:
        text = numberformat.format(
            amount, decimal_sep, 2, grouping, thousand_sep, force_grouping=True, use_l10n=True
        )
        return f"{text}\u00a0₽"

    return display


class LocalMoney:
    """An amount for a notification's ``%(amount)s``: formatted when the text is rendered,
    in each recipient's language."""

    def __init__(self, amount: Decimal) -> None:
        self.amount = amount

    def __str__(self) -> str:
        return display_money(self.amount)

    def __repr__(self) -> str:
        return f"LocalMoney({self.amount!r})"


def round_up_to(amount: Decimal, step: int = 100) -> Decimal:
    """``amount`` rounded up to a whole ``step`` of roubles (suggested and invoiced sums)."""
    from decimal import ROUND_CEILING

    steps = (amount / step).to_integral_value(rounding=ROUND_CEILING)
    return (steps * step).quantize(CENT)

"""Russian taxpayer numbers: INN (10 digits for companies, 12 for individuals) and KPP."""

from __future__ import annotations

_W10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_W12_1 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_W12_2 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _check_digit(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def inn_is_valid(inn: str) -> bool:
    if not inn.isdigit() or not inn.isascii():
        return False
    if len(inn) == 10:
        return _check_digit(inn, _W10) == int(inn[9])
    if len(inn) == 12:
        return _check_digit(inn, _W12_1) == int(inn[10]) and _check_digit(inn, _W12_2) == int(
            inn[11]
        )
    return False


def inn_with_checksum(prefix9: str) -> str:
    """Complete nine digits to a valid ten-digit INN (used by the demo and generators)."""
    return prefix9 + str(_check_digit(prefix9, _W10))


def inn12_with_checksum(prefix10: str) -> str:
    """Complete ten digits to a valid twelve-digit INN of an individual entrepreneur."""
    first = str(_check_digit(prefix10, _W12_1))
    return prefix10 + first + str(_check_digit(prefix10 + first, _W12_2))

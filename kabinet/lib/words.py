"""Sums in words for Russian financial documents ("Одна тысяча двести рублей 50 копеек")."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def plural_ru(n: int, one: str, few: str, many: str) -> str:
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def rubles_in_words(amount: Decimal) -> str:
    """``Decimal("1234.50")`` → "Одна тысяча двести тридцать четыре рубля 50 копеек"; a
    negative amount is written by its absolute value (the document says whose debt it is)."""
    # num2words loads every language it knows (~2 MiB): only documents spell sums out.
    from num2words import num2words

    value = abs(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    rubles = int(value)
    kop = int((value - rubles) * 100)
    words = num2words(rubles, lang="ru")
    text = (
        f"{words} {plural_ru(rubles, 'рубль', 'рубля', 'рублей')} "
        f"{kop:02d} {plural_ru(kop, 'копейка', 'копейки', 'копеек')}"
    )
    return text[:1].upper() + text[1:]

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from kabinet.lib.money import display_money, money_formatter

AMOUNTS = ["0", "0.5", "12.3", "999.99", "1000", "1500", "-1500.5", "1234567.89", "-0.01"]


@pytest.mark.parametrize("language", ["ru", "en"])
def test_a_pages_formatter_writes_money_as_display_money(language):
    with translation.override(language):
        money = money_formatter()
        for amount in map(Decimal, AMOUNTS):
            assert money(amount) == display_money(amount)


def test_money_reads_as_every_page_shows_it():
    with translation.override("ru"):
        assert money_formatter()(Decimal("1500")) == "1\u00a0500,00\u00a0₽"
    with translation.override("en"):
        assert money_formatter()(Decimal("1500")) == "1,500.00\u00a0₽"

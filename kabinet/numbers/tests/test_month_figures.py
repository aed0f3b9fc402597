"""The Numbers screen shows each number's calls, minutes and amount of the current month
(the operator's calendar), from the company's own calls only, in one grouped query."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kabinet.calls.selectors import Totals, this_month
from kabinet.conftest import logged_in
from kabinet.numbers import services

from .helpers import give

pytestmark = pytest.mark.django_db


@pytest.fixture
def month():
    return this_month()


@pytest.fixture
def calls(company, other_company, subscribe, public_tariff, make_call, month):
    """Two current numbers, a released one, and calls around the month's edges."""
    subscription = subscribe(company, public_tariff)
    give(company, "78124001001", "78124001002", "78124001003", subscription=subscription)
    give(other_company, "78124002002")
    start = month.start
    services.number_release(
        client_id=company.pk, number="78124001003", at=start + dt.timedelta(days=1)
    )
    # 78124001001: two calls this month (1:05 and 2:05: 2 + 3 billed minutes).
    make_call(company, start + dt.timedelta(minutes=5), duration_s=65, amount=Decimal("4.50"))
    make_call(company, start + dt.timedelta(hours=3), duration_s=125, amount=Decimal("10.00"))
    # 78124001002: one call of 59 s, and one of 0 s (unanswered: no minute).
    make_call(
        company,
        start + dt.timedelta(hours=4),
        number="78124001002",
        duration_s=59,
        amount=Decimal("1.00"),
    )
    make_call(
        company,
        start + dt.timedelta(hours=5),
        number="78124001002",
        duration_s=0,
        amount=Decimal("0.00"),
    )
    # The released number, while it was the company's this month.
    make_call(
        company,
        start + dt.timedelta(hours=6),
        number="78124001003",
        duration_s=61,
        amount=Decimal("2.50"),
    )
    # Not this month: the last second of the previous one, and the first of the next.
    make_call(company, start - dt.timedelta(seconds=1), duration_s=600, amount=Decimal("50.00"))
    make_call(company, month.end, duration_s=600, amount=Decimal("50.00"))
    # Another company's calls, even from a number string the company holds.
    make_call(other_company, start + dt.timedelta(hours=1), duration_s=300, amount=Decimal("9"))
    make_call(
        other_company,
        start + dt.timedelta(hours=1),
        number="78124002002",
        duration_s=300,
        amount=Decimal("9"),
    )


EXPECTED = {
    "78124001001": Totals(calls=2, seconds=190, minutes=5, amount=Decimal("14.50")),
    "78124001002": Totals(calls=2, seconds=59, minutes=1, amount=Decimal("1.00")),
    "78124001003": Totals(calls=1, seconds=61, minutes=2, amount=Decimal("2.50")),
}


def _row(page: str, number: str, testid: str = "number-row") -> str:
    match = re.search(rf'<tr data-testid="{testid}" data-number="{number}">(.*?)</tr>', page, re.S)
    assert match, number
    return match.group(1)


def _cells(row: str) -> tuple[str, str, str]:
    found = {
        name: re.search(rf'data-testid="month-{name}">([^<]*)<', row).group(1).strip()
        for name in ("calls", "minutes", "amount")
    }
    return found["calls"], found["minutes"], found["amount"].replace("\xa0", " ")


def test_each_number_has_its_calls_minutes_and_amount_of_the_month(calls, company):
    page = services.numbers_page(company)
    figures = {r.number.number: r.month for r in page.current + page.released}
    assert figures == EXPECTED
    assert [r.number.number for r in page.current] == ["78124001001", "78124001002"]
    assert [r.number.number for r in page.released] == ["78124001003"]


def test_the_minutes_are_those_of_the_calls_page(calls, as_client):
    """The Numbers screen and the calls page filtered by the number agree."""
    numbers = as_client.get("/cabinet/numbers/").content.decode()
    for number, expected in EXPECTED.items():
        page = as_client.get(f"/cabinet/calls/?number={number}").content.decode()
        minutes = re.search(r'data-testid="total-minutes">(\d+)<', page).group(1)
        assert int(minutes) == expected.minutes
        testid = "released-row" if number == "78124001003" else "number-row"
        row = _row(numbers, number, testid)
        assert f'href="/cabinet/calls/?number={number}"' in row
        calls, minutes_shown, _amount = _cells(row)
        assert (int(calls), int(minutes_shown)) == (expected.calls, expected.minutes)


def test_the_client_page_shows_the_figures(calls, as_client):
    page = as_client.get("/cabinet/numbers/").content.decode()
    assert _cells(_row(page, "78124001001")) == ("2", "5", "14.50 ₽")
    assert _cells(_row(page, "78124001002")) == ("2", "1", "1.00 ₽")
    assert _cells(_row(page, "78124001003", "released-row")) == ("1", "2", "2.50 ₽")
    assert "78124002002" not in page


def test_another_companys_calls_are_not_counted(calls, other_company, other_client_user):
    page = logged_in(other_client_user).get("/cabinet/numbers/").content.decode()
    assert _cells(_row(page, "78124002002")) == ("1", "5", "9.00 ₽")
    assert "78124001001" not in page


def test_the_manager_sees_the_same_figures_and_links_to_the_clients_calls(
    calls, company, as_manager
):
    page = as_manager.get(f"/manager/numbers/clients/{company.pk}/").content.decode()
    row = _row(page, "78124001001")
    assert _cells(row) == ("2", "5", "14.50 ₽")
    assert f'href="/manager/clients/{company.pk}/calls/?number=78124001001"' in row


def test_a_number_without_calls_shows_zeros(company, as_client):
    give(company, "78124009999")
    page = as_client.get("/cabinet/numbers/").content.decode()
    assert _cells(_row(page, "78124009999")) == ("0", "0", "0.00 ₽")


def _grow(client, make_call, month, start: int, count: int) -> None:
    give(client, *[f"7812500{start + i:04d}" for i in range(count)])
    for i in range(count * 3):
        make_call(
            client,
            month.start + dt.timedelta(minutes=i),
            number=f"7812500{start + i % count:04d}",
            duration_s=i,
        )


def test_the_page_runs_the_same_queries_whatever_the_numbers_and_calls(
    calls, company, as_client, as_manager, make_call, month
):
    paths = [
        (as_client, "/cabinet/numbers/"),
        (as_manager, f"/manager/numbers/clients/{company.pk}/"),
    ]

    def counts() -> list[int]:
        found = []
        for http, path in paths:
            with CaptureQueriesContext(connection) as queries:
                assert http.get(path).status_code == 200
            found.append(len(queries))
        return found

    counts()  # warms what loads once per process
    small = counts()
    _grow(company, make_call, month, 0, 40)
    large = counts()
    assert small == large


def test_the_figures_come_from_one_grouped_query_over_the_months_day_totals(calls, company, month):
    with CaptureQueriesContext(connection) as queries:
        services.numbers_page(company)
    sql = [q["sql"] for q in queries.captured_queries]
    assert not [q for q in sql if '"calls_call"' in q]
    on_days = [q for q in sql if '"calls_callday"' in q]
    assert len(on_days) == 1
    assert "GROUP BY" in on_days[0] and '"day" >=' in on_days[0] and '"day" <=' in on_days[0]

"""Reconciliation statements: the closing balance is the opening balance plus every
movement, movements land on the right side of each boundary, adjacent statements join up;
bad periods change nothing; the PDF is the two-column form."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pypdfium2
import pytest
from django.utils import timezone

from kabinet.accounting.models import Statement
from kabinet.accounting.statements import statement_data
from kabinet.exchange.tests.helpers import import_bytes
from kabinet.payments import agents
from kabinet.payments.models import LedgerEntry

pytestmark = pytest.mark.django_db

# The fourth quarter of 2026 and its neighbours, in the operator's time zone.
Q4_START, Q4_END = dt.date(2026, 10, 1), dt.date(2026, 12, 31)


def local(day: dt.date, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute, second)))


def stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def pay(company, txn: str, amount: str, at: dt.datetime) -> None:
    result = agents.payment_accept_agent(
        provider="osmp", txn_id=txn, client=company, amount=Decimal(amount), txn_date="20261001"
    )
    # The movement's moment is what the statement reads: put it where the test needs it.
    LedgerEntry.objects.filter(payment=result.payment).update(created_at=at)


@pytest.fixture
def movements(peer, company):
    company.created_at = local(dt.date(2026, 1, 15))
    company.save()
    import_bytes(
        peer.package(
            [
                peer.charge("100001", "C-09", "1000.00", period="2026-09"),  # before
                peer.charge("100001", "C-10", "1100.00", period="2026-10"),
                peer.charge("100001", "C-11", "1200.00", period="2026-11"),
                peer.charge("100001", "C-11b", "-200.00", period="2026-11"),  # a correction
                peer.charge("100001", "C-12", "1300.00", period="2026-12"),
                peer.charge("100001", "C-01", "1400.00", period="2027-01"),  # after
                peer.received(
                    "100001",
                    "B-1",
                    "700.00",
                    stamp(local(Q4_START) - dt.timedelta(seconds=1)),
                    "11",
                ),
                peer.received("100001", "B-2", "800.00", stamp(local(Q4_START)), "12"),
            ]
        )
    )
    pay(company, "1", "900.00", local(Q4_END, 23, 59, 59))  # the last second: inside
    pay(company, "2", "50.00", local(Q4_END + dt.timedelta(days=1)))  # the next day: outside
    return company


def test_closing_is_opening_plus_every_movement_at_the_boundaries(movements):
    data = statement_data(movements, Q4_START, Q4_END)
    # Before 1 October: September's charge and the payment one second before midnight.
    assert data.opening == Decimal("700.00") - Decimal("1000.00")
    texts = [(line.date, line.text, line.debit, line.credit) for line in data.lines]
    assert (Q4_START, "Оплата банковским переводом, п/п № 12", 0, Decimal("800.00")) in texts
    assert (
        dt.date(2026, 10, 31),
        "Услуги связи за октябрь 2026 г.",
        Decimal("1100.00"),
        0,
    ) in texts
    assert (dt.date(2026, 11, 30), "Услуги связи за ноябрь 2026 г.", Decimal("1000.00"), 0) in texts
    assert (
        dt.date(2026, 12, 31),
        "Услуги связи за декабрь 2026 г.",
        Decimal("1300.00"),
        0,
    ) in texts
    assert (Q4_END, "Оплата через терминал или агента", 0, Decimal("900.00")) in texts
    assert len(texts) == 5
    assert data.debit == Decimal("3400.00") and data.credit == Decimal("1700.00")
    assert data.closing == data.opening + data.credit - data.debit == Decimal("-2000.00")
    # The next period starts where this one ended.
    january = statement_data(movements, Q4_END + dt.timedelta(days=1), dt.date(2027, 1, 31))
    assert january.opening == data.closing
    assert january.closing == data.closing + Decimal("50.00") - Decimal("1400.00")
    # Split anywhere, the parts add up to the whole.
    first = statement_data(movements, Q4_START, dt.date(2026, 11, 15))
    second = statement_data(movements, dt.date(2026, 11, 16), Q4_END)
    assert first.closing == second.opening and second.closing == data.closing


def test_request_in_the_cabinet_builds_and_keeps_the_statement(
    movements, as_client, as_other_client, as_manager
):
    form = as_client.get("/cabinet/statements/").content.decode()
    assert 'name="date_from"' in form
    response = as_client.post(
        "/cabinet/statements/", {"date_from": "2026-10-01", "date_to": "2026-11-30"}
    )
    assert response.status_code == 302
    statement = Statement.objects.get()
    assert response["Location"] == f"/cabinet/statements/{statement.pk}/"
    assert statement.closing == statement.opening + statement.credit - statement.debit
    page = as_client.get(response["Location"]).content.decode()
    assert 'data-testid="statement-closing"' in page
    pdf = as_client.get(f"/cabinet/statements/{statement.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = (
        "\n".join(p.get_textpage().get_text_range() for p in pypdfium2.PdfDocument(pdf.content))
        .replace("\xa0", " ")
        .replace("\r", "")
    )
    assert "Акт сверки взаимных расчётов" in text
    assert "за период с 01.10.2026 по 30.11.2026" in text
    assert "Сальдо конечное" in text and "По данным ООО «Балтийская логистика»" in text
    assert "задолженность в пользу ООО «СевЗапТелеком»" in text.replace("\n", " ")
    # Another company: no such statement; the manager sees it from the client's page.
    assert as_other_client.get(f"/cabinet/statements/{statement.pk}/").status_code == 404
    assert as_other_client.get(f"/cabinet/statements/{statement.pk}/pdf/").status_code == 404
    assert as_manager.get(f"/manager/accounting/statements/{statement.pk}/pdf/").status_code == 200
    # Billing corrects a charge later: the issued statement reads as it was issued.
    closing = statement.closing
    with pytest.raises(TypeError):
        Statement.objects.all().delete()
    statement.refresh_from_db()
    assert statement.closing == closing


@pytest.mark.parametrize(
    "data,message",
    [
        ({"date_from": "2026-12-01", "date_to": "2026-11-01"}, "must not be after"),
        ({"date_from": "2020-01-01", "date_to": "2025-12-31"}, "The contract started on"),
        ({"date_from": "2026-10-01", "date_to": "2099-01-01"}, "must end today or earlier"),
        ({"date_from": "2023-01-01", "date_to": "2026-12-01"}, "at most three years"),
        ({"date_from": "junk", "date_to": "2026-12-01"}, "Enter a valid date"),
        ({"date_from": "", "date_to": ""}, "This field is required"),
    ],
)
def test_bad_periods_are_refused_and_build_nothing(movements, as_client, data, message):
    response = as_client.post("/cabinet/statements/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Statement.objects.count() == 0


def test_the_form_suggests_the_last_full_quarter():
    from kabinet.accounting.forms import last_quarter

    assert last_quarter(dt.date(2027, 1, 10)) == (Q4_START, Q4_END)
    assert last_quarter(dt.date(2026, 12, 4)) == (dt.date(2026, 7, 1), dt.date(2026, 9, 30))
    assert last_quarter(dt.date(2026, 4, 1)) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))


def test_one_click_periods_fill_the_form(as_client):
    from kabinet.accounting.forms import quarter_start

    today = timezone.localdate()
    page = as_client.get("/cabinet/statements/?period=this_quarter").content.decode()
    assert f'name="date_from" value="{quarter_start(today).isoformat()}"' in page
    assert f'name="date_to" value="{today.isoformat()}"' in page
    assert 'href="?period=this_quarter" aria-current="true"' in page
    page = as_client.get("/cabinet/statements/?period=last_year").content.decode()
    assert f'name="date_from" value="{today.year - 1}-01-01"' in page
    # Anything else is the default, the last full quarter.
    page = as_client.get("/cabinet/statements/?period=<script>").content.decode()
    assert 'href="?period=last_quarter" aria-current="true"' in page

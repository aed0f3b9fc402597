"""The calls page and its exports, for the client and for a manager: only the company's own
calls, every filter, keyset pages, the operator's time zone, junk answered clearly."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.http import StreamingHttpResponse
from openpyxl import load_workbook

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def at(day: int, hour: int = 10, minute: int = 0, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=UTC)


def ids(response) -> list[str]:
    return [c.call_id for c in response.context["rows"]]


@pytest.fixture
def calls(make_call, company, other_company):
    """Company 100001's November, and one call of another company the same day."""
    make_call(company, at(3), call_id="A1", duration_s=3725, amount=Decimal("120.00"))
    make_call(company, at(3, 11), call_id="A2", direction="in", zone="incoming", peer="")
    make_call(
        company,
        at(4),
        call_id="A3",
        number="78124001002",
        peer="4930123456",
        zone="international",
        duration_s=30,
        amount=Decimal("15.30"),
    )
    make_call(
        company,
        at(5),
        call_id="A4",
        peer="78125550000",
        zone="local",
        duration_s=0,
        amount=Decimal("0.00"),
    )
    make_call(other_company, at(3), call_id="B1", number="78124009999")


def test_the_client_sees_only_its_own_calls_newest_first(as_client, calls):
    response = as_client.get("/cabinet/calls/?month=2026-11")
    assert response.status_code == 200
    assert ids(response) == ["A4", "A3", "A2", "A1"]
    assert b"B1" not in response.content and b"78124009999" not in response.content
    totals = response.context["totals"]
    assert (totals.calls, totals.seconds, totals.minutes, totals.amount) == (
        4,
        3725 + 65 + 30 + 0,
        63 + 2 + 1 + 0,
        Decimal("139.80"),
    )


def test_another_company_gets_nothing_of_this_one(as_other_client, calls):
    response = as_other_client.get("/cabinet/calls/?month=2026-11&number=78124001001")
    assert ids(response) == []
    response = as_other_client.get("/cabinet/calls/?month=2026-11")
    assert ids(response) == ["B1"]
    for path in (
        "/cabinet/calls/export.csv?month=2026-11",
        "/cabinet/calls/export.xlsx?month=2026-11",
    ):
        body = as_other_client.get(path)
        content = b"".join(body.streaming_content)
        assert b"A1" not in content and b"78124001002" not in content


def test_a_client_user_cannot_open_the_managers_calls_page(as_client, company, calls):
    response = as_client.get(f"/manager/clients/{company.pk}/calls/?month=2026-11")
    assert response.status_code in (302, 403, 404)
    assert b"A1" not in response.content


def test_the_manager_sees_any_clients_calls_from_the_clients_page(
    as_manager, company, other_company, calls
):
    card = as_manager.get(f"/manager/clients/{company.pk}/")
    assert f'href="/manager/clients/{company.pk}/calls/"'.encode() in card.content
    response = as_manager.get(f"/manager/clients/{company.pk}/calls/?month=2026-11")
    assert response.status_code == 200
    assert ids(response) == ["A4", "A3", "A2", "A1"]
    other = as_manager.get(f"/manager/clients/{other_company.pk}/calls/?month=2026-11")
    assert ids(other) == ["B1"]
    assert as_manager.get("/manager/clients/999999/calls/").status_code == 404


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("number=78124001002", ["A3"]),
        ("number=%2B7+(812)+400-10-02", ["A3"]),
        ("direction=in", ["A2"]),
        ("direction=out", ["A4", "A3", "A1"]),
        ("zone=international", ["A3"]),
        ("zone=local", ["A4"]),
        ("peer=7812", ["A4"]),
        ("peer=7", ["A4", "A1"]),
        ("peer=49", ["A3"]),
        ("min_duration=60", ["A2", "A1"]),
        ("min_duration=3725", ["A1"]),
        ("from=2026-11-04&to=2026-11-05", ["A4", "A3"]),
        ("from=2026-11-04", ["A4", "A3"]),
        ("to=2026-11-03", ["A2", "A1"]),
        ("month=2026-10", []),
    ],
)
def test_each_filter(as_client, calls, query, expected):
    response = as_client.get(f"/cabinet/calls/?month=2026-11&{query}")
    assert response.status_code == 200
    assert ids(response) == expected
    assert response.context["totals"].calls == len(expected)


def test_the_numbers_screen_link_shows_one_number(as_client, calls):
    # Issue 22 links each number of the company here, for the current month.
    response = as_client.get("/cabinet/calls/?number=78124001002&month=2026-11")
    assert ids(response) == ["A3"]


def test_the_numbers_screen_link_without_a_period_shows_this_month(as_client, make_call, company):
    from django.utils import timezone

    make_call(company, timezone.now() - dt.timedelta(minutes=1), call_id="NOW1")
    make_call(
        company, timezone.now() - dt.timedelta(minutes=2), call_id="NOW2", number="78124001002"
    )
    response = as_client.get("/cabinet/calls/?number=78124001001")
    assert response.status_code == 200
    assert ids(response) == ["NOW1"]


def test_times_and_days_are_the_operators(as_client, make_call, company):
    # 22:30 UTC on 30 November is 01:30 on 1 December in Moscow.
    make_call(company, dt.datetime(2026, 11, 30, 22, 30, tzinfo=UTC), call_id="LATE")
    assert ids(as_client.get("/cabinet/calls/?month=2026-11")) == []
    response = as_client.get("/cabinet/calls/?month=2026-12")
    assert ids(response) == ["LATE"]
    assert "01:30:00" in response.content.decode()
    days = [d for d in response.context["filter"].period.days()]
    assert days[0] == dt.date(2026, 12, 1) and len(days) == 31


def test_durations_read_as_minutes_and_seconds_or_hours(as_client, calls):
    content = as_client.get("/cabinet/calls/?month=2026-11").content.decode()
    assert ">1:02:05<" in content  # 3725 s
    assert ">0:30<" in content
    assert ">1:05<" in content


def test_the_chart_has_a_bar_for_each_day(as_client, calls):
    response = as_client.get("/cabinet/calls/?month=2026-11")
    chart = str(response.context["chart"])
    assert chart.count("<rect ") == 30
    assert "style=" not in chart and "<script" not in chart


def test_keyset_pages_walk_every_call_once_newest_first(as_client, make_call, company):
    # 120 calls, ties on the same second included.
    for i in range(120):
        make_call(company, at(1 + i // 5, 8 + (i % 5) // 2), call_id=f"K{i:03d}")
    seen: list[str] = []
    url = "/cabinet/calls/?month=2026-11"
    pages = 0
    while url:
        response = as_client.get(url)
        assert response.status_code == 200
        seen += ids(response)
        pages += 1
        next_url = response.context["next_url"]
        url = f"/cabinet/calls/{next_url}" if next_url else ""
    assert pages == 3
    assert len(seen) == len(set(seen)) == 120
    rows = list(company.calls.order_by("-started_at", "-id").values_list("call_id", flat=True))
    assert seen == rows


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("month=2026-13", "Enter a month as YYYY-MM"),
        ("month=junk", "Enter a month as YYYY-MM"),
        ("from=2026-01-01&to=2026-12-31", "A period is at most 92 days"),
        ("from=2026-11-05&to=2026-11-01", "The period ends before it starts."),
        ("from=2026-02-30", "Enter a valid date."),
        ("from=9999-12-31", "Enter a date between 2000 and 2100."),
        ("number=abc", "Enter digits of a phone number"),
        ("peer=1234567890123456789012", "Enter digits of a phone number"),
        ("min_duration=-5", "Ensure this value is greater than or equal to 0."),
        ("min_duration=NaN", "Enter a whole number."),
        ("direction=sideways", "Select a valid choice."),
        ("after=yesterday,1", "This page link is broken."),
        ("after=2026-11-05T10:00:00,1", "This page link is broken."),
        ("after=2026-11-05T10:00:00Z,-1", "This page link is broken."),
    ],
)
def test_junk_in_a_filter_gets_a_clear_message_and_no_list(as_client, calls, query, message):
    response = as_client.get(f"/cabinet/calls/?{query}")
    assert response.status_code == 200
    assert message in response.content.decode()
    assert ids(response) == []
    export = as_client.get(f"/cabinet/calls/export.csv?{query}")
    assert export.status_code == 302
    assert export["Location"].startswith("/cabinet/calls/?")


def test_a_period_of_exactly_92_days_is_allowed(as_client, calls):
    response = as_client.get("/cabinet/calls/?from=2026-09-01&to=2026-12-01")
    assert response.status_code == 200
    assert ids(response) == ["A4", "A3", "A2", "A1"]


def test_the_csv_export_has_the_header_rows_and_the_filtered_calls(as_client, calls):
    response = as_client.get("/cabinet/calls/export.csv?month=2026-11&direction=out")
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Disposition"] == 'attachment; filename="calls-100001-2026-11.csv"'
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[:6] == [
        ["Company", "ООО «Балтийская логистика»"],
        ["Contract", "100001"],
        ["Period", "11/01/2026 – 11/30/2026"],
        ["Direction", "Outgoing"],
        [],
        [
            "Started",
            "Direction",
            "Own number",
            "Other party",
            "Zone",
            "Duration",
            "Seconds",
            "Amount",
        ],
    ]
    assert rows[6:] == [
        [
            "2026-11-05 13:00:00",
            "Outgoing",
            "78124001001",
            "78125550000",
            "Local",
            "0:00",
            "0",
            "0.00",
        ],
        [
            "2026-11-04 13:00:00",
            "Outgoing",
            "78124001002",
            "4930123456",
            "International",
            "0:30",
            "30",
            "15.30",
        ],
        [
            "2026-11-03 13:00:00",
            "Outgoing",
            "78124001001",
            "74951234567",
            "Long distance",
            "1:02:05",
            "3725",
            "120.00",
        ],
    ]


def test_the_xlsx_export_has_the_header_rows_and_the_filtered_calls(as_manager, company, calls):
    response = as_manager.get(
        f"/manager/clients/{company.pk}/calls/export.xlsx?from=2026-11-04&to=2026-11-30"
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "calls-100001-2026-11-04_2026-11-30.xlsx" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0][:2] == ["Company", "ООО «Балтийская логистика»"]
    assert values[1][:2] == ["Contract", "100001"]
    assert values[2][:2] == ["Period", "11/04/2026 – 11/30/2026"]
    assert values[4][0] == "Started"
    assert [(v[0], v[2], v[6], v[7]) for v in values[5:]] == [
        ("2026-11-05 13:00:00", "78124001001", 0, 0),
        ("2026-11-04 13:00:00", "78124001002", 30, 15.3),
    ]


def test_the_page_in_russian(client_user, calls):
    from django.conf import settings
    from django.test import Client as HttpClient

    http = HttpClient()
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    http.force_login(client_user)
    content = http.get("/cabinet/calls/?month=2026-11").content.decode()
    assert "Детализация звонков" in content
    assert "Исходящий" in content
    assert "1:02:05" in content

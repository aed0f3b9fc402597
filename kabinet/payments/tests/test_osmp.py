"""The QIWI/OSMP agent protocol at /pay/osmp/: check and pay, the published result codes,
idempotency on txn_id (also under concurrency), HTTP Basic, the address allow-list and the
rate limit. Every refused request changes nothing."""

from __future__ import annotations

import base64
import logging
import threading
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.db import connections
from django.test import Client as HttpClient
from hypothesis import given
from hypothesis import strategies as st

from kabinet.accounts.models import ClientStatus
from kabinet.core.tests.fuzzkit import FUZZ, JUNK, changed, db_state
from kabinet.exchange.models import OutboxRecord
from kabinet.notifications.models import Notification
from kabinet.payments.models import AgentTransaction, LedgerEntry, Payment, PaymentStatus
from kabinet.payments.providers.osmp import parse_sum
from kabinet.payments.selectors import client_balance

pytestmark = pytest.mark.django_db

USER, PASSWORD = "qiwi-agent", "s3cret-pass"


def basic(user: str = USER, password: str = PASSWORD) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture
def osmp(settings):
    settings.KABINET_PAYMENT_PROVIDERS = ["kabinet", "osmp"]
    settings.KABINET_OSMP_USERNAME = USER
    settings.KABINET_OSMP_PASSWORD = PASSWORD
    settings.KABINET_OSMP_ALLOWED_IPS = []
    return settings


def agent(params: dict, *, auth: str | None = None, address: str = "127.0.0.1", method="get"):
    http = HttpClient(REMOTE_ADDR=address)
    headers = {"HTTP_AUTHORIZATION": auth if auth is not None else basic()}
    return getattr(http, method)("/pay/osmp/", params, **headers)


def answer(response) -> dict[str, str]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?><response>')
    root = ET.fromstring(response.content)
    assert root.tag == "response"
    return {child.tag: child.text or "" for child in root}


def check(**params) -> dict:
    return {"command": "check", "txn_id": "1001", "account": "100001", "sum": "500.00", **params}


def pay(**params) -> dict:
    return {**check(), "command": "pay", "txn_id": "2001", "txn_date": "20261204103000", **params}


def test_check_answers_ok_for_an_open_contract(osmp, company):
    assert answer(agent(check())) == {"osmp_txn_id": "1001", "result": "0", "comment": "OK"}
    assert Payment.objects.count() == 0


@pytest.mark.parametrize(
    ("params", "result"),
    [
        ({"account": "10a001"}, "4"),
        ({"account": ""}, "4"),
        ({"account": "1" * 21}, "4"),
        ({"account": "999999"}, "5"),
        ({"sum": "9.99"}, "241"),
        ({"sum": "500000.01"}, "242"),
        ({"sum": "10.001"}, "300"),
        ({"sum": "-5.00"}, "300"),
        ({"sum": "1e3"}, "300"),
        ({"sum": "１０"}, "300"),
        ({"sum": "10,50"}, "300"),
        ({"sum": ""}, "300"),
        ({"sum": "010.00"}, "300"),
        ({"command": "status"}, "300"),
        ({"command": ""}, "300"),
        ({"txn_id": ""}, "300"),
        ({"txn_id": "12a"}, "300"),
        ({"txn_id": "1" * 21}, "300"),
    ],
)
def test_bad_requests_get_the_protocols_result_and_change_nothing(osmp, company, params, result):
    for request in (check(**params), pay(**params)):
        before = db_state()
        got = answer(agent(request))
        assert got["result"] == result, (request, got)
        assert "prv_txn" not in got
        assert changed(before, db_state()) == [] or changed(before, db_state()) == [
            "core.RateLimitBucket"
        ]
    assert Payment.objects.count() == 0


@pytest.mark.parametrize(
    "date", ["", "2026120410300", "20261340103000", "20260230103000", "x" * 14]
)
def test_pay_with_a_bad_txn_date_is_300(osmp, company, date):
    assert answer(agent(pay(txn_date=date)))["result"] == "300"
    assert Payment.objects.count() == 0


def test_a_closed_contract_is_prohibited_and_a_suspended_one_can_pay(osmp, make_client):
    make_client("100001", status=ClientStatus.CLOSED)
    suspended = make_client("100002", status=ClientStatus.SUSPENDED)
    assert answer(agent(pay(account="100001")))["result"] == "7"
    assert answer(agent(pay(account="100002")))["result"] == "0"
    assert client_balance(client=suspended) == Decimal("500.00")


def test_pay_credits_the_balance_once_and_goes_to_billing(osmp, company, client_user):
    got = answer(agent(pay(sum="10.5")))
    payment = Payment.objects.get()
    txn = AgentTransaction.objects.get()
    assert got == {
        "osmp_txn_id": "2001",
        "prv_txn": str(txn.pk),
        "sum": "10.50",
        "result": "0",
        "comment": "OK",
    }
    assert (payment.provider, payment.channel, payment.method) == ("osmp", "terminal", "terminal")
    assert (payment.status, payment.amount) == (PaymentStatus.ACCEPTED, Decimal("10.50"))
    assert (txn.txn_id, txn.account, txn.txn_date) == ("2001", "100001", "20261204103000")
    assert client_balance(client=company) == Decimal("10.50")
    record = OutboxRecord.objects.get(type="payment.captured")
    assert record.data["provider"] == "osmp"
    assert record.data["channel"] == "terminal"
    assert record.data["amount"] == "10.50"
    assert Notification.objects.filter(user=client_user).count() == 1


def test_a_repeated_pay_answers_the_first_answer_and_credits_nothing_more(osmp, company):
    first = answer(agent(pay()))
    again = answer(agent(pay()))
    by_post = answer(agent(pay(), method="post"))
    assert first["result"] == again["result"] == by_post["result"] == "0"
    assert first["prv_txn"] == again["prv_txn"] == by_post["prv_txn"]
    assert Payment.objects.count() == 1
    assert LedgerEntry.objects.count() == 1
    assert OutboxRecord.objects.filter(type="payment.captured").count() == 1
    assert client_balance(client=company) == Decimal("500.00")


@pytest.mark.parametrize("other", [{"sum": "501.00"}, {"account": "100002"}])
def test_the_same_txn_id_with_another_account_or_sum_is_refused(osmp, company, make_client, other):
    make_client("100002")
    answer(agent(pay()))
    before = db_state()
    got = answer(agent(pay(**other)))
    assert got["result"] == "300"
    assert "prv_txn" not in got
    assert [c for c in changed(before, db_state()) if c != "core.RateLimitBucket"] == []


def test_without_credentials_configured_the_endpoint_does_not_exist(settings, company):
    settings.KABINET_PAYMENT_PROVIDERS = ["kabinet", "osmp"]
    settings.KABINET_OSMP_USERNAME = ""
    assert agent(check()).status_code == 404
    settings.KABINET_OSMP_USERNAME, settings.KABINET_OSMP_PASSWORD = USER, PASSWORD
    settings.KABINET_PAYMENT_PROVIDERS = ["kabinet"]
    assert agent(check()).status_code == 404


@pytest.mark.parametrize(
    "auth",
    ["", basic(password="wrong"), basic(user="other"), "Basic !!!", "Bearer x", basic(password="")],
)
def test_wrong_credentials_are_401_logged_and_change_nothing(osmp, company, auth, caplog):
    before = db_state()
    with caplog.at_level(logging.INFO, logger="kabinet.security"):
        response = agent(pay(), auth=auth)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith('Basic realm="osmp"')
    assert "osmp_credentials_refused" in caplog.text
    assert changed(before, db_state()) == []


def test_an_address_outside_the_allow_list_is_403(osmp, company, caplog):
    osmp.KABINET_OSMP_ALLOWED_IPS = ["203.0.113.0/24"]
    with caplog.at_level(logging.INFO, logger="kabinet.security"):
        refused = agent(pay(), address="198.51.100.7")
    assert refused.status_code == 403
    assert "osmp_address_refused" in caplog.text
    assert Payment.objects.count() == 0
    assert answer(agent(pay(), address="203.0.113.9"))["result"] == "0"


def test_past_the_rate_limit_the_agent_is_told_to_retry(osmp, company):
    osmp.KABINET_OSMP_MAX_PER_ADDRESS = 2
    answer(agent(check()))
    answer(agent(check()))
    response = agent(pay())
    assert answer(response)["result"] == "1"
    assert int(response["Retry-After"]) > 0
    assert Payment.objects.count() == 0


def test_other_methods_are_not_allowed(osmp, company):
    assert HttpClient().put("/pay/osmp/", HTTP_AUTHORIZATION=basic()).status_code == 405


@pytest.mark.parametrize(
    ("text", "value"),
    [("10", "10.00"), ("10.4", "10.40"), ("10.45", "10.45"), ("0.50", "0.50")],
)
def test_sum_reads_a_dot_and_up_to_two_decimals(text, value):
    assert parse_sum(text) == Decimal(value)


@pytest.mark.django_db(transaction=True)
def test_thirty_concurrent_identical_pays_credit_once(osmp, make_client):
    company = make_client("100001")
    replies, errors = [], []
    start = threading.Barrier(30)

    def send():
        try:
            start.wait()
            replies.append(answer(agent(pay(txn_id="777"))))
        except Exception as exc:  # surfaced below: a thread must not fail silently
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    txn = AgentTransaction.objects.get()
    assert {(r["result"], r["prv_txn"], r["sum"]) for r in replies} == {
        ("0", str(txn.pk), "500.00")
    }
    assert Payment.objects.count() == 1
    assert LedgerEntry.objects.count() == 1
    assert client_balance(client=company) == Decimal("500.00")


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(["command", "txn_id", "account", "sum", "txn_date", "x"]),
        st.one_of(JUNK, st.sampled_from(["check", "pay", "100001", "500.00", "20261204103000"])),
    )
)
def test_hostile_requests_never_fail_and_credit_only_an_accepted_pay(osmp, company, params):
    before = db_state()
    got = answer(agent(params))
    assert got["result"] in {"0", "4", "5", "7", "241", "242", "300"}
    moved = [c for c in changed(before, db_state()) if c != "core.RateLimitBucket"]
    if not (got["result"] == "0" and params.get("command") == "pay"):
        assert moved == []


def test_with_only_agents_on_the_pay_page_says_cards_are_not_available(osmp, company):
    from kabinet.conftest import english_client

    osmp.KABINET_PAYMENT_PROVIDERS = ["osmp"]
    response = english_client().post("/pay/", {"contract": "100001", "amount": "500"})
    assert response.status_code == 200
    assert "Paying by card is not available." in response.content.decode()
    assert Payment.objects.count() == 0

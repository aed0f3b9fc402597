"""Abuse limits on /pay/ and the terminal endpoint: per address, shared through the database."""

from __future__ import annotations

import logging

import pytest

from kabinet.core.models import RateLimitBucket
from kabinet.payments.models import GatewayMessage, Payment

from .helpers import money_state

pytestmark = pytest.mark.django_db

DATE = "2026-11-24T10:15:00"


@pytest.fixture
def pay_limit(settings):
    settings.KABINET_PAY_MAX_PER_ADDRESS = 3
    settings.KABINET_PAY_WINDOW_SECONDS = 600


def test_pay_starts_past_the_limit_are_refused_with_429_and_start_nothing(
    client, company, gateway, pay_limit, caplog
):
    for _ in range(3):
        assert client.post("/pay/", {"contract": "100001", "amount": "100"}).status_code == 302
    with caplog.at_level(logging.WARNING, logger="kabinet.security"):
        response = client.post("/pay/", {"contract": "100001", "amount": "100"})
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 600
    body = response.content.decode()
    assert "Too many attempts. Try again in 10 minutes." in body
    assert Payment.objects.count() == 3
    assert len(gateway.requests) == 3
    [line] = [r.getMessage() for r in caplog.records if r.name == "kabinet.security"]
    assert line.startswith("event=pay_throttled ip=127.0.0.1 method=POST path=/pay/ user=- ")
    assert "what=start" in line


def test_refused_pay_post_does_not_tell_whether_the_contract_exists(client, company, pay_limit):
    for contract in ("999991", "999992", "999993"):
        body = client.post("/pay/", {"contract": contract, "amount": "100"}).content.decode()
        assert "There is no contract with this number." in body
    known = client.post("/pay/", {"contract": "100001", "amount": "100"})
    unknown = client.post("/pay/", {"contract": "999994", "amount": "100"})
    for response in (known, unknown):
        body = response.content.decode()
        assert response.status_code == 429
        assert "There is no contract" not in body
        assert company.masked_name not in body
    assert Payment.objects.count() == 0


def test_contract_lookups_count_against_the_same_limit(client, company, pay_limit):
    assert client.get("/pay/?contract=100001").status_code == 200
    assert client.get("/pay/recipient/?contract=100001").status_code == 200
    assert client.get("/pay/recipient/?contract=100002").status_code == 200
    page = client.get("/pay/?contract=100001")
    assert page.status_code == 429
    assert company.masked_name not in page.content.decode()
    box = client.get("/pay/recipient/?contract=100001")
    # The htmx box stays 200 so that the message is swapped in; the wait is in the header.
    assert box.status_code == 200
    assert int(box["Retry-After"]) > 0
    assert "Too many attempts." in box.content.decode()
    assert company.masked_name not in box.content.decode()
    # An empty box (no contract typed yet) reveals nothing and is not counted.
    assert client.get("/pay/").status_code == 200


def test_pay_limit_is_per_address(client, company, pay_limit):
    for _ in range(3):
        client.get("/pay/recipient/?contract=100001", REMOTE_ADDR="198.51.100.1")
    blocked = client.get("/pay/?contract=100001", REMOTE_ADDR="198.51.100.1")
    other = client.get("/pay/?contract=100001", REMOTE_ADDR="198.51.100.2")
    assert (blocked.status_code, other.status_code) == (429, 200)


def test_pay_limit_message_is_in_russian_for_russian_visitors(company, pay_limit):
    from django.test import Client

    http = Client()
    for _ in range(3):
        http.get("/pay/?contract=100001")
    body = http.get("/pay/?contract=100001").content.decode()
    assert "Слишком много попыток. Попробуйте снова через 10 минут." in body


@pytest.fixture
def terminal_limit(settings):
    settings.KABINET_TERMINAL_MAX_PER_ADDRESS = 2
    settings.KABINET_TERMINAL_WINDOW_SECONDS = 60


def fields(receipt: str) -> dict[str, str]:
    return {
        "action": "payment",
        "number": "100001",
        "amount": "500.00",
        "receipt": receipt,
        "date": DATE,
    }


def test_terminal_past_the_limit_gets_a_signed_429_with_retry_after(
    peer, company, terminal_limit, caplog
):
    assert peer.terminal(fields("1000001")).code == 0
    assert peer.terminal(fields("1000002")).code == 0
    before = money_state()
    messages = GatewayMessage.objects.count()
    with caplog.at_level(logging.WARNING, logger="kabinet.security"):
        reply = peer.terminal(fields("1000003"))
    assert reply.status == 429
    assert 1 <= int(reply.headers["Retry-After"]) <= 60
    # Still the protocol's answer: signed, tied to the request, code 10 "retry later".
    assert reply.trusted
    assert reply.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert reply.code == 10
    assert reply.message.startswith("too many requests, retry after ")
    assert reply.authcode == ""
    assert money_state() == before
    assert Payment.objects.count() == 2
    assert GatewayMessage.objects.count() == messages
    [line] = [r.getMessage() for r in caplog.records if r.name == "kabinet.security"]
    assert line.startswith("event=terminal_throttled ip=127.0.0.1 method=POST path=/pay/terminal/")
    assert "X-Signature" not in line and reply.headers["X-Signature"] not in line


def test_terminal_limit_of_one_address_does_not_block_the_gateway(
    peer, client, company, terminal_limit
):
    for _ in range(3):
        client.post("/pay/terminal/", fields("2000001"), REMOTE_ADDR="203.0.113.66")
    assert peer.terminal(fields("1000001")).code == 0


def test_limits_are_counted_in_the_shared_database(client, company, pay_limit):
    client.get("/pay/?contract=100001", REMOTE_ADDR="198.51.100.9")
    assert RateLimitBucket.objects.get(key="pay:address:198.51.100.9").count == 1


def test_card_notifications_past_the_limit_get_429_and_change_nothing(
    client, company, terminal_limit, caplog
):
    for _ in range(2):
        client.post("/pay/notify/", b"{}", content_type="application/json")
    before = money_state()
    messages = GatewayMessage.objects.count()
    with caplog.at_level(logging.WARNING, logger="kabinet.security"):
        response = client.post("/pay/notify/", b"{}", content_type="application/json")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response.json()["error"] == "retry"
    assert money_state() == before
    assert GatewayMessage.objects.count() == messages
    assert any("event=notify_throttled" in r.getMessage() for r in caplog.records)

"""Every signed input is verified before anything else is read from it (both endpoints)."""

from __future__ import annotations

import logging
import time

import pytest

from kabinet.payments.models import Direction, GatewayMessage, MessageKind, PaymentStatus

from .helpers import money_state
from .peer import PeerKey, signed_headers

pytestmark = pytest.mark.django_db

TERMINAL_FIELDS = {
    "action": "payment",
    "number": "100001",
    "amount": "500.00",
    "receipt": "1234567",
    "date": "2026-11-24T10:15:00",
}


def _notify_body(peer, gateway, held_payment) -> bytes:
    payment = held_payment()
    import json

    event = gateway.authorize(payment.gateway_payment_id)
    event["type"] = "payment.captured"
    gateway.payments[payment.gateway_payment_id]["status"] = "captured"
    gateway.payments[payment.gateway_payment_id]["captured"] = payment.amount
    event["payment"] = gateway.object(payment.gateway_payment_id)
    return json.dumps(event).encode()


FORGERIES = {
    "no key header": ({"headers": {"X-Signature-Key": None}}, "missing_header"),
    "no timestamp header": ({"headers": {"X-Signature-Timestamp": None}}, "missing_header"),
    "no signature header": ({"headers": {"X-Signature": None}}, "missing_header"),
    "unknown key": ({"key": PeerKey()}, "unknown_key"),
    "stale timestamp": ({"skew": -302}, "timestamp"),
    "future timestamp": ({"skew": 302}, "timestamp"),
    "flipped bit in body": ({"flip": "body"}, "bad_signature"),
    "flipped bit in path": ({"flip": "path"}, "bad_signature"),
    "flipped bit in signature": ({"flip": "signature"}, "bad_signature"),
}


def _flip(text: bytes) -> bytes:
    data = bytearray(text)
    data[len(data) // 2] ^= 0x01
    return bytes(data)


def _forge(options: dict, target: str, body: bytes, peer) -> dict:
    options = dict(options)
    flip = options.pop("flip", None)
    if "skew" in options:
        options["timestamp"] = int(time.time()) + options.pop("skew")
    if flip == "body":
        options["sign_body"] = _flip(body)
    elif flip == "path":
        options["sign_target"] = _flip(target.encode()).decode()
    elif flip == "signature":
        good = signed_headers(peer.key, "POST", target, body)
        raw = bytearray(__import__("base64").b64decode(good["X-Signature"]))
        raw[5] ^= 0x01
        options["headers"] = {
            **good,
            "X-Signature": __import__("base64").b64encode(bytes(raw)).decode(),
        }
    return options


@pytest.mark.parametrize("case", list(FORGERIES))
def test_forged_notification_is_refused_and_changes_nothing(
    case, peer, gateway, held_payment, caplog
):
    body = _notify_body(peer, gateway, held_payment)
    before = money_state()
    options, check = FORGERIES[case]
    with caplog.at_level(logging.WARNING, logger="kabinet.security"):
        reply = peer.send(
            "POST", "/pay/notify/", body, **_forge(options, "/pay/notify/", body, peer)
        )
    assert reply.status == 403
    assert reply.json["check"] == check
    assert f"signature check failed: {check}" in reply.json["message"]
    assert money_state() == before
    assert any(
        "gateway_signature_failed" in r.message and f"check={check}" in r.message
        for r in caplog.records
    )
    stored = GatewayMessage.objects.filter(direction=Direction.IN, kind=MessageKind.NOTIFY).last()
    assert stored.signature_check == check
    assert bytes(stored.body) == body
    assert stored.payment is None


@pytest.mark.parametrize("case", list(FORGERIES))
def test_forged_terminal_request_gets_minus_4_and_changes_nothing(case, peer, company, caplog):
    from urllib.parse import urlencode

    body = urlencode(TERMINAL_FIELDS).encode()
    before = money_state()
    options, check = FORGERIES[case]
    options = _forge(options, "/pay/terminal/", body, peer)
    with caplog.at_level(logging.WARNING, logger="kabinet.security"):
        reply = peer.terminal(TERMINAL_FIELDS, **options)
    assert reply.status == 403
    assert reply.code == -4
    assert reply.message == f"signature check failed: {check}"
    assert reply.authcode == ""
    assert money_state() == before
    assert any("gateway_signature_failed" in r.message for r in caplog.records)


def test_site_answers_are_signed_and_tied_to_the_request(peer, gateway, held_payment):
    body = _notify_body(peer, gateway, held_payment)
    reply = peer.send("POST", "/pay/notify/", body)
    assert reply.status == 200
    assert reply.json == {"received": True}
    assert reply.trusted
    terminal = peer.terminal({**TERMINAL_FIELDS, "action": "check"})
    assert terminal.trusted
    assert terminal.headers["Content-Type"] == "text/xml; charset=utf-8"


def test_refusals_are_signed_too(peer, company):
    reply = peer.terminal(TERMINAL_FIELDS, timestamp=int(time.time()) - 1000)
    assert reply.code == -4
    assert reply.trusted


def test_answer_to_another_request_does_not_verify(peer, company, site_public):
    from .peer import response_check

    reply = peer.terminal({**TERMINAL_FIELDS, "action": "check"})
    assert response_check(
        site_public, reply.headers, "another request's signature", reply.body
    ) == ("bad_signature")


def test_terminal_get_request_is_verified_over_its_query(peer, company):
    reply = peer.terminal({**TERMINAL_FIELDS, "action": "check"}, method="GET")
    assert (reply.status, reply.code) == (200, 0)
    from urllib.parse import urlencode

    target = f"/pay/terminal/?{urlencode({**TERMINAL_FIELDS, 'action': 'check'})}"
    forged = peer.send("GET", target.replace("100001", "100002"), sign_target=target)
    assert forged.status == 403


def test_several_gateway_keys_are_trusted_at_once(settings, tmp_path, peer, company):
    """Key rotation: the old and the new gateway key both verify during the change-over."""
    new_key = PeerKey()
    _private, public = new_key.write(tmp_path / "rotated", "gateway-new")
    settings.KABINET_GATEWAY_PUBLIC_KEYS = [*settings.KABINET_GATEWAY_PUBLIC_KEYS, str(public)]
    fields = {**TERMINAL_FIELDS, "action": "check"}
    assert peer.terminal(fields).code == 0
    assert peer.terminal(fields, key=new_key).code == 0
    assert peer.terminal(fields, key=PeerKey()).code == -4


def test_every_message_is_stored_raw_with_its_result(peer, company):
    reply = peer.terminal({**TERMINAL_FIELDS, "action": "check"})
    incoming, outgoing = GatewayMessage.objects.order_by("id")
    assert (incoming.direction, incoming.kind, incoming.signature_check) == (
        Direction.IN,
        MessageKind.TERMINAL,
        "ok",
    )
    assert incoming.headers["X-Signature-Key"] == peer.key.key_id
    assert (outgoing.direction, outgoing.reply_to, bytes(outgoing.body)) == (
        Direction.OUT,
        incoming,
        reply.body,
    )
    assert outgoing.headers["X-Signature"] == reply.headers["X-Signature"]
    assert PaymentStatus.ACCEPTED  # the enum exists for terminal payments


def test_forged_gateway_signature_is_logged_without_the_signature(client, caplog):
    forged = "QUJD" * 22
    with caplog.at_level(logging.WARNING, logger="kabinet.security"):
        response = client.post(
            "/pay/terminal/",
            "action=check&number=100001",
            content_type="application/x-www-form-urlencoded",
            headers={
                "X-Signature-Key": "0123456789abcdef",
                "X-Signature-Timestamp": "1",
                "X-Signature": forged,
            },
        )
    assert response.status_code == 403
    [line] = [r.getMessage() for r in caplog.records if r.name == "kabinet.security"]
    assert line == (
        "event=gateway_signature_failed ip=127.0.0.1 method=POST path=/pay/terminal/ user=- "
        "check=unknown_key endpoint=terminal"
    )
    assert forged not in line

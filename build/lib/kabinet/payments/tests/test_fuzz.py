"""Malformed input to every payment endpoint: never a 500, never a change."""

from __future__ import annotations

import json
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kabinet.conftest import logged_in

from .helpers import money_state

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
text = st.text(max_size=40)
junk = st.one_of(
    text,
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "-1",
            "1e9",
            "NaN",
            "Infinity",
            "10,5.5",
            "1 000 000,001",
            "２０００",
            "٣٠٠",
            "100001\x00",
            "'; DROP TABLE",
            "2026-13-45",
            "9999-12-31",
        ]
    ),
)


@pytest.fixture
def closed_only(make_client):
    """The only client is closed: no fuzzed form can ever be a valid payment."""
    return make_client("100005", status="closed")


@FUZZ
@given(contract=junk, amount=junk, email=junk)
def test_pay_form(client, closed_only, contract, amount, email):
    from kabinet.core.models import RateLimitBucket

    # Hundreds of examples from one address: the pay limit is tested in test_limits.
    RateLimitBucket.objects.all().delete()
    before = money_state()
    response = client.post("/pay/", {"contract": contract, "amount": amount, "email": email})
    assert response.status_code == 200
    assert money_state() == before
    prefill = client.get("/pay/", {"contract": contract, "amount": amount, "email": email})
    assert prefill.status_code == 200
    assert client.get("/pay/recipient/", {"contract": contract}).status_code == 200


@FUZZ
@given(
    body=st.one_of(
        st.binary(max_size=300),
        st.dictionaries(text, st.one_of(text, st.integers(), st.none()), max_size=6).map(
            lambda d: json.dumps(d).encode()
        ),
    )
)
def test_signed_notify_bodies(peer, closed_only, body):
    before = money_state()
    reply = peer.send("POST", "/pay/notify/", body)
    assert reply.status in (400, 409)
    assert reply.trusted
    assert money_state() == before


@FUZZ
@given(
    action=st.one_of(st.sampled_from(["check", "payment", "status", "cancel"]), junk),
    number=st.one_of(st.just("100005"), junk),
    amount=junk,
    receipt=st.one_of(st.from_regex(r"[0-9]{3,20}", fullmatch=True), junk),
    date=st.one_of(st.just("2026-11-24T10:15:00"), junk),
    method=st.sampled_from(["GET", "POST"]),
)
def test_signed_terminal_requests(peer, closed_only, action, number, amount, receipt, date, method):
    fields = {
        "action": action,
        "number": number,
        "amount": amount,
        "receipt": receipt,
        "date": date,
    }
    fields = {k: v.replace("\x00", "") for k, v in fields.items()}
    before = money_state()
    reply = peer.terminal(fields, method=method)
    assert reply.status == 200
    assert reply.code in (1, 2, 3, 4, 5, 6, 7)
    assert money_state() == before


@FUZZ
@given(
    headers=st.dictionaries(
        st.sampled_from(["X-Signature-Key", "X-Signature-Timestamp", "X-Signature"]),
        text,
        max_size=3,
    ),
    body=st.binary(max_size=100),
)
def test_unsigned_garbage(client, closed_only, headers, body):
    before = money_state()
    headers = {
        k: v.replace("\x00", "").encode("ascii", "ignore").decode() for k, v in headers.items()
    }
    for path in ("/pay/notify/", "/pay/terminal/"):
        response = client.generic(
            "POST", path, body, content_type="application/json", headers=headers
        )
        assert response.status_code == 403
    assert money_state() == before


@FUZZ
@given(
    query=st.dictionaries(
        st.sampled_from(
            [
                "status",
                "channel",
                "contract",
                "date_from",
                "date_to",
                "amount_min",
                "amount_max",
                "page",
            ]
        ),
        junk,
        max_size=8,
    )
)
def test_manager_filters(manager, closed_only, query):
    as_manager = logged_in(manager)
    assert as_manager.get("/manager/payments/", query).status_code == 200
    response = as_manager.get("/manager/payments/export.csv", query)
    assert response.status_code == 200
    b"".join(response.streaming_content)


@FUZZ
@given(amount=junk, reason=junk, key=junk, confirm=st.sampled_from(["", "on"]))
def test_manager_refund_and_void_forms(
    manager, make_payment, settings, closed_port_url, amount, reason, key, confirm
):
    settings.KABINET_GATEWAY_URL = closed_port_url
    payment = make_payment(
        status="captured", captured_amount="1500.00", gateway_payment_id=f"gw-{uuid.uuid4()}"
    )
    held = make_payment(status="authorized", gateway_payment_id=f"gw-{uuid.uuid4()}")
    as_manager = logged_in(manager)
    before = money_state()
    data = {"amount": amount, "reason": reason, "key": key, "confirm": confirm}
    assert as_manager.post(f"/manager/payments/{payment.pk}/refund/", data).status_code == 200
    assert as_manager.post(f"/manager/payments/{held.pk}/void/", data).status_code == 200
    assert money_state() == before


@FUZZ
@given(amount=junk, email=junk)
def test_cabinet_pay_form(client_user, company, amount, email):
    company.status = "closed"
    company.save()
    as_client = logged_in(client_user)
    before = money_state()
    assert as_client.post("/cabinet/pay/", {"amount": amount, "email": email}).status_code == 200
    assert money_state() == before


@FUZZ
@given(path=st.text(alphabet="0123456789abcdef-", min_size=1, max_size=40))
def test_status_pages(client, path):
    assert client.get(f"/pay/status/{path}/").status_code == 404

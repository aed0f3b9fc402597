"""One line per security event on ``kabinet.security``: address, user, path, reason, no secrets.
And the client's address: X-Forwarded-For only from a trusted proxy."""

from __future__ import annotations

import logging

import pytest
from django.test import RequestFactory

from kabinet.conftest import PASSWORD, logged_in
from kabinet.core.models import RateLimitBucket
from kabinet.core.security import client_address, security_event

pytestmark = pytest.mark.django_db


def security_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "kabinet.security"]


def test_denied_access_is_one_line(client_user, caplog):
    with caplog.at_level(logging.WARNING, logger="kabinet.security"):
        assert logged_in(client_user).get("/manager/clients/").status_code == 403
    assert security_lines(caplog) == [
        f"event=access_denied ip=127.0.0.1 method=GET path=/manager/clients/ "
        f"user={client_user.pk} area=/manager/ reason=role"
    ]


def test_permission_denied_in_a_view_is_logged(colleague, caplog):
    """A company member who is not its administrator may not invite (PermissionDenied)."""
    with caplog.at_level(logging.WARNING, logger="kabinet.security"):
        response = logged_in(colleague).post("/cabinet/company/", {"email": "x@example.com"})
    assert response.status_code == 403
    assert security_lines(caplog) == [
        f"event=access_denied ip=127.0.0.1 method=POST path=/cabinet/company/ "
        f"user={colleague.pk} reason=permission_denied"
    ]


def test_failed_and_throttled_sign_in_are_logged_without_the_password(
    client, client_user, settings, caplog
):
    settings.KABINET_LOGIN_MAX_PER_ACCOUNT = 2
    with caplog.at_level(logging.WARNING, logger="kabinet.security"):
        for _ in range(2):
            client.post("/login/", {"username": client_user.email, "password": "wrong-Secret-1"})
        response = client.post("/login/", {"username": client_user.email, "password": PASSWORD})
    assert response.status_code == 429
    lines = security_lines(caplog)
    assert (
        lines[:2]
        == [
            "event=login_failed ip=127.0.0.1 method=POST path=/login/ user=- "
            "account=boss@baltlog.example"
        ]
        * 2
    )
    assert lines[2].startswith(
        "event=login_throttled ip=127.0.0.1 method=POST path=/login/ user=- "
        "account=boss@baltlog.example retry_after="
    )
    assert len(lines) == 3
    assert not any("wrong-Secret-1" in line or PASSWORD in line for line in lines)


def test_a_value_cannot_forge_another_field_or_line(caplog):
    with caplog.at_level(logging.WARNING, logger="kabinet.security"):
        security_event("test", None, account="a@b.example user=1\nevent=fake")
    assert security_lines(caplog) == ['event=test account="a@b.example user=1?event=fake"']


# --- the client's address ------------------------------------------------------------------


def request_from(remote: str, forwarded: str | None = None):  # type: ignore[no-untyped-def]
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_forwarded_for_is_ignored_without_trusted_proxies(settings):
    settings.KABINET_TRUSTED_PROXIES = []
    assert client_address(request_from("203.0.113.5", "198.51.100.1")) == "203.0.113.5"


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        # nginx on the same host appends the client's address.
        ("127.0.0.1", "198.51.100.1", "198.51.100.1"),
        # A client's own X-Forwarded-For is kept by nginx on the left: never believed.
        ("127.0.0.1", "10.9.9.9, 198.51.100.1", "198.51.100.1"),
        ("127.0.0.1", "1.2.3.4, 198.51.100.1", "198.51.100.1"),
        # Two trusted hops (a load balancer in 10.0.0.0/8, then nginx).
        ("127.0.0.1", "1.2.3.4, 198.51.100.1, 10.0.0.7", "198.51.100.1"),
        # Not from a trusted proxy: the header is the client's claim.
        ("203.0.113.5", "198.51.100.1", "203.0.113.5"),
        # Garbage from the client stops the walk at the last vouched-for address.
        ("127.0.0.1", "not-an-ip", "127.0.0.1"),
        ("127.0.0.1", "", "127.0.0.1"),
        ("127.0.0.1", "2001:db8::1", "2001:db8::1"),
    ],
)
def test_forwarded_for_is_read_from_the_right_behind_trusted_proxies(
    settings, remote, forwarded, expected
):
    settings.KABINET_TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]
    assert client_address(request_from(remote, forwarded)) == expected


def test_a_spoofed_forwarded_for_does_not_escape_the_sign_in_limit(client, client_user, settings):
    settings.KABINET_TRUSTED_PROXIES = ["127.0.0.1"]
    settings.KABINET_LOGIN_MAX_PER_ADDRESS = 2
    for n in range(3):
        client.post(
            "/login/",
            {"username": f"nobody{n}@example.com", "password": "x"},
            headers={"x-forwarded-for": f"10.0.0.{n}, 198.51.100.1"},
        )
    assert RateLimitBucket.objects.get(key="login:address:198.51.100.1").count == 2
    assert not RateLimitBucket.objects.filter(key__startswith="login:address:10.").exists()

"""Every POST needs a CSRF token, and no ``next=``/return URL leads off the site.

Walked from the URLconf like the access sweep, so a new view is covered without a new test.
"""

from __future__ import annotations

import logging

import pytest
from django.test import Client as HttpClient
from django.urls import URLPattern, URLResolver, get_resolver

from kabinet.conftest import PASSWORD
from kabinet.core.tests.test_access import ALL_PATHS
from kabinet.payments.models import GatewayMessage

# The only views that take a POST without a CSRF token: machine endpoints whose every
# request is signed with the gateway's Ed25519 key and verified before anything is read.
SIGNED_MACHINE_ENDPOINTS = {
    "/pay/notify/": "card protocol: the gateway's signed events (payment-gateway.md)",
    "/pay/terminal/": "terminal protocol: the gateway's signed check/payment/status/cancel",
}
# Machine endpoints of networks that do not sign (their own protocols): no CSRF token
# either, each guarded before anything is read or changed (tested in their own modules).
UNSIGNED_MACHINE_ENDPOINTS = {
    "/pay/osmp/": "QIWI/OSMP agents: HTTP Basic and an address allow-list (test_osmp.py)",
    "/pay/yookassa/notify/": "YooKassa's notifications: the body is never trusted, the payment "
    "is read back from the API (test_yookassa.py)",
    "/telegram/webhook/": "Telegram's updates: the secret token given to setWebhook is checked "
    "before anything is read (chatbot/tests/test_webhook.py)",
}
# Wagtail's admin API (Django REST framework): exempt at Django's level, but DRF's session
# authentication enforces the CSRF check itself for signed-in users; the sweep checks it.
DRF_PREFIX = "/editor/api/main/"


def _callbacks(patterns, prefix: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _callbacks(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield "/" + prefix + str(entry.pattern), entry.callback


def test_only_the_signed_machine_endpoints_are_csrf_exempt():
    exempt = {
        route
        for route, callback in _callbacks(get_resolver().url_patterns)
        if getattr(callback, "csrf_exempt", False) and not route.startswith(DRF_PREFIX)
    }
    assert exempt == set(SIGNED_MACHINE_ENDPOINTS) | set(UNSIGNED_MACHINE_ENDPOINTS)


@pytest.mark.django_db
@pytest.mark.parametrize("path", sorted(SIGNED_MACHINE_ENDPOINTS))
def test_each_exempt_endpoint_verifies_a_signature_before_anything_else(client, path, caplog):
    with caplog.at_level(logging.WARNING, logger="kabinet.security"):
        response = client.post(
            path,
            "action=check&number=100001&amount=500.00&receipt=1&date=2026-11-24T10:15:00",
            content_type="application/x-www-form-urlencoded",
        )
    assert response.status_code == 403
    assert "signature" in response.content.decode()
    message = GatewayMessage.objects.get(direction="in")
    assert (message.signature_check, message.outcome) == ("missing_header", "rejected")
    assert any("event=gateway_signature_failed" in r.getMessage() for r in caplog.records)


def _persona(path: str, users: dict[str, object]) -> object:
    if path.startswith("/cabinet/") or path.startswith("/help/client/"):
        return users["client"]
    if path.startswith("/manager/") or path.startswith("/help/"):
        return users["manager"]
    if path.startswith("/editor/"):
        return users["editor"]
    if path.startswith("/django-admin/"):
        return users["admin"]
    return users["client"]


@pytest.fixture
def personas(client_user, manager, editor, admin_user):
    from kabinet.accounts.roles import roles_setup
    from kabinet.accounts.services import user_sync_role_groups

    roles_setup()
    for user in (manager, editor, admin_user):
        user_sync_role_groups(user=user)
    return {"client": client_user, "manager": manager, "editor": editor, "admin": admin_user}


POST_PATHS = [
    p
    for p in ALL_PATHS
    if p not in SIGNED_MACHINE_ENDPOINTS and p not in UNSIGNED_MACHINE_ENDPOINTS
]


@pytest.mark.django_db
def test_every_post_without_a_csrf_token_is_refused(personas, caplog):
    assert len(POST_PATHS) > 150
    sessions: dict[int, HttpClient] = {}
    wrong = []
    for path in POST_PATHS:
        user = _persona(path, personas)
        http = sessions.get(user.pk)  # type: ignore[attr-defined]
        if http is None:
            http = sessions[user.pk] = HttpClient(enforce_csrf_checks=True)  # type: ignore[attr-defined]
            http.force_login(user)  # type: ignore[arg-type]
        response = http.post(path, {"x": "1"})
        body = response.content.decode(errors="replace")
        if path.startswith(DRF_PREFIX):
            refused = response.status_code == 403 and "CSRF" in body
        else:
            refused = response.status_code == 403 and any(
                t.name == "403_csrf.html" for t in response.templates
            )
        if not refused:
            wrong.append((path, response.status_code))
    assert wrong == []


@pytest.mark.django_db
def test_csrf_failure_is_one_security_line_without_the_token(client_user, caplog):
    http = HttpClient(enforce_csrf_checks=True)
    http.force_login(client_user)
    http.cookies["csrftoken"] = "a" * 32
    with caplog.at_level(logging.WARNING, logger="kabinet.security"):
        response = http.post("/account/", {"csrfmiddlewaretoken": "b" * 32})
    assert response.status_code == 403
    [line] = [r.getMessage() for r in caplog.records if r.name == "kabinet.security"]
    assert line == (
        f"event=csrf_failed ip=127.0.0.1 method=POST path=/account/ user={client_user.pk} "
        'reason="CSRF token from POST incorrect."'
    )
    assert "a" * 32 not in line and "b" * 32 not in line


# --- next= and return URLs -----------------------------------------------------------------

EVIL = [
    "https://evil.example/",
    "//evil.example",
    "/\\evil.example",
    "javascript:alert(1)",
    "http:evil.example",
    " //evil.example",
    "https://testserver@evil.example/",
]


def _assert_safe(response, expected: str) -> None:
    assert response.status_code == 302, response.status_code
    location = response["Location"]
    assert location == expected, location


@pytest.mark.django_db
@pytest.mark.parametrize("target", EVIL)
def test_login_never_sends_off_the_site(client, client_user, target):
    response = client.post(
        "/login/", {"username": client_user.email, "password": PASSWORD, "next": target}
    )
    _assert_safe(response, "/cabinet/")


@pytest.mark.django_db
@pytest.mark.parametrize("target", EVIL)
def test_login_page_of_a_signed_in_user_never_sends_off_the_site(as_client, target):
    _assert_safe(as_client.get("/login/", {"next": target}), "/cabinet/")


@pytest.mark.django_db
def test_login_follows_a_local_next(client, client_user):
    response = client.post(
        "/login/",
        {"username": client_user.email, "password": PASSWORD, "next": "/cabinet/payments/"},
    )
    _assert_safe(response, "/cabinet/payments/")


@pytest.mark.django_db
@pytest.mark.parametrize("target", EVIL)
def test_language_switch_never_sends_off_the_site(as_client, target):
    _assert_safe(as_client.post("/language/", {"language": "ru", "next": target}), "/")
    _assert_safe(as_client.get("/language/ru/", {"next": target}), "/")


@pytest.mark.django_db
@pytest.mark.parametrize("target", EVIL)
def test_language_switch_ignores_an_evil_referer(as_client, target):
    response = as_client.post("/language/", {"language": "en"}, headers={"referer": target})
    _assert_safe(response, "/")


@pytest.mark.django_db
@pytest.mark.parametrize("target", EVIL)
def test_logout_never_sends_off_the_site(as_client, target):
    _assert_safe(as_client.post("/logout/", {"next": target}), "/login/")


@pytest.mark.django_db
@pytest.mark.parametrize("target", EVIL)
def test_bulk_decision_in_the_queue_never_sends_off_the_site(as_manager, target):
    _assert_safe(as_manager.post("/manager/requests/bulk/", {"next": target}), "/manager/requests/")


@pytest.mark.django_db
@pytest.mark.parametrize("target", EVIL)
def test_wagtail_document_password_return_url_stays_on_the_site(client, target):
    from wagtail.models import Collection, CollectionViewRestriction

    restriction = CollectionViewRestriction.objects.create(
        collection=Collection.get_first_root_node(),
        restriction_type=CollectionViewRestriction.PASSWORD,
        password="open-sesame-42",
    )
    response = client.post(
        f"/documents/authenticate_with_password/{restriction.pk}/",
        {"password": "open-sesame-42", "return_url": target},
    )
    _assert_safe(response, "/home/")


def test_no_other_view_reads_a_return_url():
    """The views above are all that read next/return_url; a new one must join this file."""
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[2]
    readers = set()
    for source in root.rglob("*.py"):
        if "tests" in source.parts or "migrations" in source.parts:
            continue
        text = source.read_text(encoding="utf-8")
        if re.search(r"""(GET|POST)\.get\(\s*["'](next|return_url|return_to)["']""", text):
            readers.add(source.relative_to(root).as_posix())
    # accounts/views_security.py: the two-factor pages; their off-site tests are in
    # accounts/tests/test_twofactor.py (test_code_step_never_redirects_off_site, with EVIL).
    assert readers == {
        "accounts/views.py",
        "accounts/views_security.py",
        "core/views.py",
        "servicedesk/views_manager.py",
    }

"""The strict Content-Security-Policy breaks nothing: no page reports a violation."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from kabinet.conftest import browser_login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_no_page_violates_the_content_security_policy(live_server, page):
    call_command("seed_demo", verbosity=0)
    violations: list[str] = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    base = live_server.url
    for path in (
        "/",
        "/services/",
        "/services/vpbx/",
        "/news/",
        "/tariffs/",
        "/login/",
        "/search/?q=АТС",
    ):
        page.goto(base + path)
    browser_login(page, base, "client100001@kabinet.test", "demo12345")
    for path in (
        "/cabinet/",
        "/cabinet/services/",
        "/cabinet/company/",
        "/account/notifications/",
        "/help/client/",
    ):
        page.goto(base + path)
    assert violations == []

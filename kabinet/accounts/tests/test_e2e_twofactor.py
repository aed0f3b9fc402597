"""A manager turns on two-factor sign-in from the QR page, signs out and back in with a code."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from kabinet.accounts.models import Role, TwoFactor
from kabinet.conftest import PASSWORD, browser_login
from kabinet.lib.totp import secret_bytes, totp

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_manager_enrols_from_the_qr_page_then_signs_in_with_a_code(
    live_server, page, make_user, settings, tmp_path
):
    settings.KABINET_STAFF_2FA_REQUIRED = True
    manager = make_user("manager@e2e.example", Role.MANAGER, first_name="Ирина")
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    base = live_server.url

    browser_login(page, base, manager.email, PASSWORD)
    # Required for staff: the cabinet opens only after the set-up.
    page.wait_for_url("**/account/two-factor/setup/**")
    expect(page.get_by_test_id("setup-required")).to_be_visible()
    qr = page.get_by_test_id("qr").locator("svg")
    box = qr.bounding_box()
    assert box is not None and box["width"] > 150 and box["height"] > 150
    page.screenshot(path=str(tmp_path / "setup.png"), full_page=True)
    secret = page.get_by_test_id("secret").inner_text().replace(" ", "")
    key = secret_bytes(secret)
    page.fill("input[name=code]", totp(key))
    page.get_by_test_id("confirm-setup").click()
    page.wait_for_load_state()
    expect(page.get_by_test_id("twofactor-on")).to_be_visible()
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    page.get_by_test_id("continue").click()
    page.wait_for_url("**/manager/")
    assert TwoFactor.objects.get(user=manager).is_enabled

    page.locator(".user-menu summary").click()
    page.get_by_test_id("logout").click()
    page.wait_for_url("**/login/")

    browser_login(page, base, manager.email, PASSWORD)
    page.wait_for_url("**/login/code/")
    # The next step's code: the enrolment used this step's one, which is never taken twice.
    page.fill("input[name=code]", totp(key, time.time() + 30))
    page.locator("form[action='/login/code/'] button[type=submit]").click()
    page.wait_for_url("**/manager/")
    assert "Ирина" in page.locator(".user-name").inner_text()
    assert not [p for p in problems if "Content Security Policy" in p], problems

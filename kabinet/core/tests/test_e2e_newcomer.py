"""A newcomer's first visit, in a real browser."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from kabinet.conftest import browser_login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_newcomer_signs_in_as_demo_client_and_switches_language(live_server, page):
    call_command("seed_demo", verbosity=0)
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "ru"
    assert "Телефония для бизнеса" in page.locator("h1").inner_text()

    page.get_by_role("link", name="Войти").first.click()
    page.wait_for_url("**/login/")
    browser_login(page, live_server.url, "client100001@kabinet.test", "demo12345")
    page.wait_for_url("**/cabinet/")
    assert page.get_by_test_id("contract-number").inner_text() == "№ 100001"
    assert "Балтийская логистика" in page.locator("h1").inner_text()
    assert "Волкова" in page.get_by_test_id("manager-contact").inner_text()

    # Switch to English with the switcher in the top bar; the choice sticks.
    page.locator(".topbar-actions .hide-sm button[value=en]").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    expect(page.locator(".sidebar").get_by_text("Overview")).to_be_visible()
    page.goto(live_server.url + "/cabinet/company/")
    assert page.locator("h1").inner_text() == "Company and users"


def test_phone_layout_has_a_menu_button(live_server, browser):
    call_command("seed_demo", verbosity=0)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    browser_login(page, live_server.url, "manager@kabinet.test", "demo12345")
    page.wait_for_url("**/manager/")
    sidebar = page.locator("#sidebar")
    expect(sidebar).to_be_hidden()
    page.locator(".topbar [data-nav-toggle]").click()
    expect(sidebar).to_be_visible()
    # Nothing sticks out sideways on a phone.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    context.close()

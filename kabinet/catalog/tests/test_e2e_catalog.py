"""The catalog in a real browser: a manager builds a service and changes prices; a client
changes their settings."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from kabinet.conftest import browser_login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_manager_builds_a_service_and_changes_prices_seeing_whom_it_touches(live_server, page):
    call_command("seed_demo", verbosity=0)
    base = live_server.url
    browser_login(page, base, "manager@kabinet.test", "demo12345")
    page.context.add_cookies([{"name": "kabinet_language", "value": "en", "url": base}])

    page.goto(base + "/manager/services/new/")
    page.fill("#id_code", "conference")
    page.fill("#id_name", "Конференц-связь")
    page.fill("#id_name_en", "Conference calls")
    page.click("form.form button[type=submit]")
    assert page.locator("h1").inner_text().startswith("Conference calls")

    page.click("text=Add parameter")
    page.fill("#id_code", "participants")
    page.select_option("#id_type", "int")
    page.fill("#id_label", "Участников")
    page.fill("#id_label_en", "Participants")
    page.fill("#id_default", "10")
    page.fill("#id_min_value", "3")
    page.fill("#id_max_value", "100")
    page.check("#id_client_editable")
    page.click("form.form button[type=submit]")
    expect(page.locator("td.mono", has_text="participants")).to_have_count(1)

    page.click("text=New tariff")
    page.fill("#id_code", "conf-team")
    page.fill("#id_name", "Команда")
    for field, value in [
        ("monthly_fee", "700.00"),
        ("setup_fee", "0"),
        ("per_minute_local", "0"),
        ("per_minute_long_distance", "0"),
        ("per_minute_international", "0"),
    ]:
        page.fill(f"#id_{field}", value)
    page.click("form.form button[type=submit]")
    assert "Team" in page.locator("h1").inner_text() or "Команда" in page.locator("h1").inner_text()

    # A tariff with clients on it: the demo "Business" local-number tariff.
    page.goto(base + "/manager/tariffs/")
    page.click("text=Business")
    page.click("text=Change prices")
    later = timezone.localdate() + dt.timedelta(days=14)
    page.fill("#id_effective_from", later.isoformat())
    page.fill("#id_monthly_fee", "1090.00")
    page.get_by_test_id("preview-prices").click()
    assert page.get_by_test_id("impact-subscriptions").inner_text() == "1"
    assert page.get_by_test_id("impact-clients").inner_text() == "1"
    assert "100001" in page.get_by_test_id("impact-table").inner_text()
    page.get_by_test_id("confirm-prices").click()
    assert "clients are notified" in page.locator(".messages").inner_text()
    assert (
        "planned" in page.locator("table").last.inner_text()
        or page.locator("text=planned").count() >= 1
    )


def test_client_changes_settings_and_files_a_request_for_the_rest(live_server, page):
    call_command("seed_demo", verbosity=0)
    base = live_server.url
    browser_login(page, base, "client100001@kabinet.test", "demo12345")
    page.context.add_cookies([{"name": "kabinet_language", "value": "en", "url": base}])
    page.goto(base + "/cabinet/services/")
    page.click("text=Local number")
    page.uncheck("#id_caller_id")
    page.fill("#id_lines", "12")
    page.click("[data-testid=params-form] button[type=submit]")
    messages = page.locator(".messages").inner_text()
    assert "Changes are applied." in messages
    assert "request #" in messages
    expect(page.locator("#id_caller_id")).not_to_be_checked()
    assert page.locator("#id_lines").input_value() == "8"  # waits for approval
    # A wrong value is explained and changes nothing.
    page.fill("#id_lines", "500")
    page.click("[data-testid=params-form] button[type=submit]")
    assert "The largest allowed value is 30." in page.locator(".field-lines").inner_text()

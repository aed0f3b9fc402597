"""The service desk in a real browser: a rule routes a client's request, a manager decides it;
a client and a manager correspond."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from kabinet.accounts.models import User
from kabinet.catalog.models import Service
from kabinet.conftest import browser_login
from kabinet.messaging.models import Thread
from kabinet.servicedesk.models import Rule, ServiceRequest
from kabinet.subscriptions.models import Subscription

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "demo12345"


def new_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU")
    context.set_default_timeout(15000)
    return context, context.new_page()


def test_rule_routes_a_parameter_change_and_the_manager_approves_it(live_server, browser, page):
    call_command("seed_demo", verbosity=0)
    base = live_server.url
    pbx = Subscription.objects.get(client__contract_number="100001", service__code="vpbx")
    sokolov = User.objects.get(email="manager2@kabinet.test")

    # A manager writes a rule that sends PBX extension changes to Dmitry Sokolov…
    browser_login(page, base, "manager@kabinet.test", PASSWORD)
    page.goto(base + "/manager/rules/new/")
    page.fill("input[name=name]", "Extensions to Sokolov")
    page.select_option("select[name=kind]", "change_parameters")
    page.select_option("select[name=service]", str(Service.objects.get(code="vpbx").pk))
    page.select_option("select[name=parameter_code]", "extensions")
    page.fill("input[name=parameter_max]", "50")
    page.select_option("select[name=action]", "assign")
    page.select_option("select[name=assign_to]", str(sokolov.pk))
    page.get_by_test_id("save-rule").click()
    page.wait_for_url("**/test/")
    # …tests it before enabling it: the demo's waiting request for 15 extensions would match.
    assert page.get_by_test_id("matched").inner_text() == "1"
    page.get_by_test_id("enable").click()
    page.wait_for_url("**/manager/rules/")
    rule = Rule.objects.get(name="Extensions to Sokolov")
    assert rule.is_enabled

    # The client asks for 12 extensions: a change that needs approval.
    client_context, client_page = new_page(browser)
    browser_login(client_page, base, "client100001@kabinet.test", PASSWORD)
    client_page.goto(base + f"/cabinet/services/{pbx.pk}/")
    client_page.fill("input[name=extensions]", "12")
    client_page.get_by_test_id("params-form").locator("button[type=submit]").click()
    client_page.wait_for_load_state()
    request = ServiceRequest.objects.latest("pk")
    assert request.parameters == {"extensions": 12}
    assert str(request.pk) in client_page.locator(".messages").inner_text()
    client_page.goto(base + f"/cabinet/requests/{request.pk}/")
    assert client_page.get_by_test_id("request-status").get_attribute("class") == "badge badge-new"

    # The rule routed it to Sokolov, who finds it in his own queue and approves it.
    request.refresh_from_db()
    assert (request.assignee, request.rule) == (sokolov, rule)
    manager_context, manager_page = new_page(browser)
    browser_login(manager_page, base, "manager2@kabinet.test", PASSWORD)
    manager_page.goto(base + "/manager/requests/?status=open&assignee=me")
    manager_page.get_by_test_id(f"request-{request.pk}").get_by_role(
        "link", name=f"#{request.pk}"
    ).click()
    manager_page.wait_for_url(f"**/manager/requests/{request.pk}/")
    assert "Соколов" in manager_page.get_by_test_id("assignee").inner_text()
    assert "Extensions to Sokolov" in manager_page.get_by_test_id("history").inner_text()
    manager_page.fill("textarea[name=comment]", "Добавили 4 внутренних номера.")
    manager_page.get_by_test_id("approve").click()
    manager_page.wait_for_load_state()
    assert manager_page.get_by_test_id("request-status").get_attribute("class") == (
        "badge badge-done"
    )

    # The client sees the new value and the notice.
    client_page.goto(base + f"/cabinet/services/{pbx.pk}/")
    assert client_page.input_value("input[name=extensions]") == "12"
    client_page.goto(base + "/account/notifications/")
    notices = client_page.get_by_test_id("notifications").inner_text()
    assert f"№{request.pk}" in notices or f"#{request.pk}" in notices
    assert "Добавили 4 внутренних номера." in notices
    client_context.close()
    manager_context.close()


def test_client_and_manager_correspond_with_a_file(live_server, browser, page, tmp_path):
    call_command("seed_demo", verbosity=0)
    base = live_server.url
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(b"%PDF-1.4\n%e2e\n")

    browser_login(page, base, "client100001@kabinet.test", PASSWORD)
    page.goto(base + "/cabinet/messages/new/")
    page.fill("input[name=subject]", "Счёт на ноябрь")
    page.fill("textarea[name=body]", "Пришлите счёт, пожалуйста.")
    page.set_input_files("input[name=attachments]", str(scan))
    page.get_by_test_id("thread-form").locator("button[type=submit]").click()
    page.wait_for_url("**/cabinet/messages/*/")
    thread = Thread.objects.get(subject="Счёт на ноябрь")
    assert "scan.pdf" in page.get_by_test_id("messages").inner_text()

    manager_context, manager_page = new_page(browser)
    browser_login(manager_page, base, "manager@kabinet.test", PASSWORD)
    manager_page.goto(base + "/manager/messages/?show=unanswered")
    row = manager_page.get_by_test_id(f"thread-{thread.pk}")
    assert "row-unread" in row.get_attribute("class")
    row.get_by_role("link", name="Счёт на ноябрь").click()
    manager_page.wait_for_url(f"**/manager/messages/{thread.pk}/")
    with manager_page.expect_download() as download:
        manager_page.get_by_role("link", name="scan.pdf").click()
    assert download.value.suggested_filename == "scan.pdf"
    manager_page.fill("textarea[name=body]", "Счёт выставлен, он в разделе документов.")
    manager_page.get_by_test_id("reply-form").locator("button[type=submit]").click()
    manager_page.wait_for_load_state()

    page.goto(base + "/cabinet/messages/")
    assert "row-unread" in page.get_by_test_id(f"thread-{thread.pk}").get_attribute("class")
    page.goto(base + f"/cabinet/messages/{thread.pk}/")
    assert "Счёт выставлен" in page.get_by_test_id("messages").inner_text()
    page.goto(base + "/account/notifications/")
    assert "Счёт на ноябрь" in page.get_by_test_id("notifications").inner_text()
    manager_context.close()

"""Call labelling in a real browser: a demo company's administrator sees its numbers, files
an application (the live counter counts, the consent is given), the manager approves it
(billing gets call_label.submitted), and billing's status package makes it active; the
application form and the numbers page pass axe-core."""

from __future__ import annotations

import io

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from playwright.sync_api import expect

from kabinet.conftest import browser_login
from kabinet.exchange.models import OutboxRecord
from kabinet.exchange.services import exchange_import
from kabinet.numbers.models import CallLabelVersion, LabelStatus

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _serious(page) -> list[str]:
    violations = Axe().run(page).response["violations"]
    return [v["id"] for v in violations if v["impact"] in ("critical", "serious")]


def test_a_company_labels_its_calls_and_billing_turns_it_on(
    live_server, page, settings, tmp_path, peer
):
    settings.VAR_DIR = tmp_path / "var"
    call_command("seed_demo", verbosity=0)
    base = live_server.url
    page.context.add_cookies([{"name": "kabinet_language", "value": "en", "url": base}])
    from kabinet.accounts.models import User

    User.objects.filter(email__in=["client100001@kabinet.test", "manager@kabinet.test"]).update(
        language="en"
    )
    browser_login(page, base, "client100001@kabinet.test", "demo12345")
    page.goto(base + "/cabinet/numbers/")
    table = page.get_by_test_id("numbers-table").inner_text()
    assert "+7 812 400-10-01" in table and "+7 812 400-10-02" in table
    assert "Not labelled" in table
    assert _serious(page) == []

    page.get_by_test_id("call-label-link").click()
    page.get_by_test_id("apply-link").click()
    page.select_option("select[name=category]", label="Delivery")
    text = page.locator("input[name=display_text]")
    text.fill("Балтийская логистика")
    # The page's script may start after the fill (the click does not wait for it); it
    # counts what the field holds when it starts, so wait for its figures.
    expect(page.locator("[data-label-counter]")).to_contain_text("20 of 32")
    expect(page.locator("[data-label-preview-text]")).to_have_text("Балтийская логистика")
    text.fill("Балтийская логистика 😀")
    expect(page.locator("[data-label-bad]")).to_be_visible()
    text.fill("Балтийская логистика")
    page.get_by_label("+7 812 400-10-02").uncheck()
    page.locator("input[name=consent]").check()
    assert _serious(page) == []
    page.locator("[data-testid=label-form] button[type=submit]").click()
    assert "The application is filed" in page.inner_text("main")
    version = CallLabelVersion.objects.get()
    assert (version.status, version.numbers) == (LabelStatus.MODERATION, ["78124001001"])
    expect(page.get_by_test_id("label-pending")).to_have_count(1)

    page.context.clear_cookies()
    page.context.add_cookies([{"name": "kabinet_language", "value": "en", "url": base}])
    browser_login(page, base, "manager@kabinet.test", "demo12345")
    page.goto(base + "/manager/call-labelling/")
    page.get_by_test_id("label-queue").get_by_role("link", name="Балтийская логистика").click()
    assert "as in the contract" in page.get_by_test_id("name-check").inner_text()
    page.get_by_test_id("approve").click()
    assert "goes to billing" in page.inner_text("main")
    record = OutboxRecord.objects.get(type="call_label.submitted")
    assert record.data["label_id"] == str(version.label_id)
    assert record.data["numbers"] == ["78124001001"]

    package = peer.package(
        [
            peer.record(
                "call_label.status",
                contract="100001",
                label_id=str(version.label_id),
                version=1,
                status="active",
                reason="",
                as_of="2026-12-04T12:00:00Z",
            )
        ]
    )
    result = exchange_import(actor=None, file=io.BytesIO(package), file_name="b.zip")
    assert result.ok, result.report

    page.context.clear_cookies()
    page.context.add_cookies([{"name": "kabinet_language", "value": "en", "url": base}])
    browser_login(page, base, "client100001@kabinet.test", "demo12345")
    page.goto(base + "/cabinet/call-labelling/")
    assert page.get_by_test_id("active-text").inner_text() == "Балтийская логистика"
    page.goto(base + "/cabinet/numbers/")
    rows = page.get_by_test_id("numbers-table").inner_text()
    assert "Active" in rows and "Not labelled" in rows

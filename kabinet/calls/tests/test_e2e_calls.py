"""Call details in a real browser: the demo client opens them from the menu, filters, walks
to older calls, downloads the CSV; a manager opens the same from the client's page. axe-core
finds nothing critical or serious on the page at 1280 and 390 px."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from playwright.sync_api import expect

from kabinet.calls import partitions
from kabinet.conftest import browser_login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_demo_client_reads_filters_pages_and_exports_its_calls(
    live_server, page, settings, tmp_path
):
    settings.VAR_DIR = tmp_path / "var"
    call_command("seed_demo", verbosity=0)
    base = live_server.url
    page.context.add_cookies([{"name": "kabinet_language", "value": "en", "url": base}])
    from kabinet.accounts.models import Client, User

    User.objects.filter(email__in=["client100001@kabinet.test", "manager@kabinet.test"]).update(
        language="en"
    )
    browser_login(page, base, "client100001@kabinet.test", "demo12345")
    page.get_by_role("link", name="Call details").first.click()
    last = partitions.add_months(partitions.current_month(), -1)
    month = f"{last[0]:04d}-{last[1]:02d}"
    page.goto(f"{base}/cabinet/calls/?month={month}")
    assert int(page.get_by_test_id("total-calls").inner_text()) >= 200
    expect(page.get_by_test_id("calls-chart")).to_have_count(1)
    first_page = page.get_by_test_id("calls").inner_text()
    with page.expect_navigation():
        page.get_by_test_id("next-page").click()
    assert page.get_by_test_id("calls").inner_text() != first_page
    with page.expect_navigation():
        page.get_by_test_id("first-page").click()
    page.select_option("#id_direction", "in")
    with page.expect_navigation(url=re.compile(r"direction=in")):
        page.get_by_role("button", name="Show").click()
    rows = page.locator("[data-testid=calls] tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() > 0
    assert all("Incoming" in rows.nth(i).inner_text() for i in range(rows.count()))
    with page.expect_download() as download:
        page.get_by_test_id("export-csv").click()
    path = download.value.path()
    text = path.read_text(encoding="utf-8-sig")
    assert text.startswith("Company,ООО «Балтийская логистика»")
    assert "Direction,Incoming" in text

    axe = Axe()
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{base}/cabinet/calls/?month={month}")
        violations = [
            v
            for v in axe.run(page).response["violations"]
            if v["impact"] in ("critical", "serious")
        ]
        assert violations == [], violations

    page.context.clear_cookies()
    page.context.add_cookies([{"name": "kabinet_language", "value": "en", "url": base}])
    browser_login(page, base, "manager@kabinet.test", "demo12345")
    client = Client.objects.get(contract_number="100001")
    page.goto(f"{base}/manager/clients/{client.pk}/")
    page.get_by_test_id("client-calls").click()
    page.goto(page.url + f"?month={month}")
    assert int(page.get_by_test_id("total-calls").inner_text()) >= 200

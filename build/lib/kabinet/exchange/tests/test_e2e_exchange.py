"""The exchange in a real browser: a manager exports a package, billing answers, the manager
uploads the answer, and the client sees billing's balance, charges and documents."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from billingsim.cli import main as billingsim
from kabinet.conftest import browser_login
from kabinet.exchange.models import ExchangePackage

from .peer import write_key_pair

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_manager_runs_the_exchange_and_the_client_sees_billing(
    live_server, page, browser, tmp_path, settings
):
    _key, site_private, site_public = write_key_pair(tmp_path, "e2e-site")
    _bkey, billing_private, billing_public = write_key_pair(tmp_path, "e2e-billing")
    settings.KABINET_SITE_PRIVATE_KEY = str(site_private)
    settings.KABINET_BILLING_PUBLIC_KEYS = [str(billing_public)]
    settings.MEDIA_ROOT = str(tmp_path / "media")
    # No demo keys here: the demo's own round trip stays out of this journey.
    settings.VAR_DIR = tmp_path / "var"
    call_command("seed_demo", verbosity=0)
    base = live_server.url

    browser_login(page, base, "manager@kabinet.test", "demo12345")
    page.context.add_cookies([{"name": "kabinet_language", "value": "en", "url": base}])
    page.goto(base + "/manager/exchange/")
    page.locator("form[action='/manager/exchange/export/'] button").click()
    page.wait_for_load_state()
    site_package = ExchangePackage.objects.filter(direction="site-to-billing").latest("sequence")
    assert site_package.actor.email == "manager@kabinet.test"

    sim = [
        "--home",
        str(tmp_path / "bs"),
        "--key",
        str(billing_private),
        "--trust",
        str(site_public),
    ]
    assert billingsim([*sim, "import", site_package.file.path]) == 0
    assert billingsim([*sim, "bill", "--period", "2026-10", "--seed", "3"]) == 0
    answer = tmp_path / "answer.zip"
    assert billingsim([*sim, "export", "--out", str(answer)]) == 0

    page.goto(base + "/manager/exchange/")
    page.set_input_files("input[name=file]", str(answer))
    page.locator("form[action='/manager/exchange/import/'] button[type=submit]").click()
    page.wait_for_load_state()
    newest = ExchangePackage.objects.filter(direction="billing-to-site").latest("sequence")
    assert newest.status == "imported"
    site_package.refresh_from_db()
    assert site_package.status == "confirmed"

    client_context = browser.new_context()
    client_page = client_context.new_page()
    browser_login(client_page, base, "client100001@kabinet.test", "demo12345")
    client_page.goto(base + "/cabinet/billing/")
    body = client_page.content()
    assert "2026-10" in body
    with client_page.expect_download() as download:
        client_page.locator("a[href*='/cabinet/billing/documents/']").first.click()
    assert download.value.suggested_filename.endswith(".pdf")
    client_context.close()

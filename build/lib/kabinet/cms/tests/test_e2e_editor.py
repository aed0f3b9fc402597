"""An editor changes the home page in the editor cabinet, previews it and publishes it."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from kabinet.cms.models import HomePage
from kabinet.conftest import browser_login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_editor_edits_previews_and_publishes_the_home_page(live_server, page, browser):
    call_command("seed_demo", verbosity=0)
    base = live_server.url
    home = HomePage.objects.get(locale__language_code="ru")

    visitor = browser.new_context(locale="ru-RU")
    visitor_page = visitor.new_page()
    visitor_page.goto(base + "/")
    assert "Подключим за один день" in visitor_page.content()

    browser_login(page, base, "editor@kabinet.test", "demo12345")
    page.wait_for_url("**/editor/")
    page.goto(f"{base}/editor/pages/{home.pk}/edit/")
    page.fill("#id_lead", "Новый лид: подключаем за два часа.")

    # Live preview beside the editor.
    page.locator("[data-side-panel-toggle='preview']").click()
    frame = page.frame_locator("iframe[title]").first
    frame.locator("text=Новый лид: подключаем за два часа.").wait_for(timeout=45000)

    # Saved as a draft, the change is not visible to visitors.
    page.get_by_role("button", name="Сохранить черновик").click()
    page.wait_for_load_state()
    visitor_page.goto(base + "/")
    assert "Новый лид: подключаем за два часа." not in visitor_page.content()

    # Published, it is — at once, although anonymous pages are cached.
    page.get_by_role("button", name="Больше действий").click()
    page.locator("button[name='action-publish']").click()
    page.wait_for_load_state()
    visitor_page.goto(base + "/")
    assert "Новый лид: подключаем за два часа." in visitor_page.content()
    visitor.close()

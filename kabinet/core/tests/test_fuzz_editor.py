"""The editor cabinet (Wagtail) under hostile input: a page edited with script payloads in
its rich text, links and buttons is never a 500, and once published shows no script."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from wagtail.test.utils.form_data import querydict_from_html

from kabinet.cms.models import StandardPage
from kabinet.conftest import english_client, logged_in

from .fuzzkit import BROKEN, FUZZ, JUNK, MISSING, SCRIPTS, TEXT, assert_no_script, script_problems

URLS = st.sampled_from(
    [
        "javascript:alert(1)",
        " JaVaScRiPt:alert(1)",
        "data:text/html,<script>",
        "/pay/",
        "https://x.example/",
    ]
)


def contentstate(text: str, url: str) -> str:
    return json.dumps(
        {
            "blocks": [
                {
                    "key": "a1b2c",
                    "type": "unstyled",
                    "depth": 0,
                    "text": text or "x",
                    "inlineStyleRanges": [{"offset": 0, "length": 1, "style": "BOLD"}],
                    "entityRanges": [{"offset": 0, "length": 1, "key": 0}],
                }
            ],
            "entityMap": {"0": {"type": "LINK", "mutability": "MUTABLE", "data": {"url": url}}},
        }
    )


RICH = st.one_of(st.builds(contentstate, TEXT, URLS), st.builds(contentstate, TEXT, URLS), JUNK)


@pytest.fixture
def site(db):
    from kabinet.demo.seed import seed_demo

    seed_demo(only=("catalog", "cms"))


@pytest.fixture
def as_editor_with_rights(editor):
    from kabinet.accounts.roles import roles_setup
    from kabinet.accounts.services import user_sync_role_groups

    roles_setup()
    user_sync_role_groups(user=editor)
    return logged_in(editor)


@pytest.mark.django_db
@FUZZ
@given(
    title=st.one_of(TEXT, TEXT, TEXT, BROKEN),
    intro=RICH,
    text=RICH,
    cta_text=TEXT,
    cta_url=st.one_of(st.sampled_from(["/pay/", "https://x.example/"]), URLS, JUNK),
    heading=st.sampled_from(SCRIPTS),
)
def test_page_edit_with_script_payloads(
    site, as_editor_with_rights, title, intro, text, cta_text, cta_url, heading
):
    page = StandardPage.objects.get(slug="about", locale__language_code="ru")
    edit = f"/editor/pages/{page.pk}/edit/"
    form = querydict_from_html(
        as_editor_with_rights.get(edit).content.decode(), form_id="page-edit-form"
    )
    data = {key: form.getlist(key) for key in form}
    data.update(
        {
            "intro": intro,
            "body-count": "3",
            "body-0-type": "text",
            "body-0-value": text,
            "body-0-deleted": "",
            "body-0-order": "0",
            "body-1-type": "cta",
            "body-1-value-text": cta_text,
            "body-1-value-url": cta_url,
            "body-1-deleted": "",
            "body-1-order": "1",
            "body-2-type": "heading",
            "body-2-value": heading,
            "body-2-deleted": "",
            "body-2-order": "2",
            "action-publish": "action-publish",
        }
    )
    if title is MISSING:
        data.pop("title", None)
    else:
        data["title"] = title

    response = as_editor_with_rights.post(edit, data)

    assert response.status_code < 500
    published = response.status_code == 302
    event("published" if published else "refused")
    page.refresh_from_db()
    assert script_problems(page.intro) == []
    for block in page.body.get_prep_value():
        if block["type"] == "text":
            assert script_problems(block["value"]) == []
            assert "<script" not in block["value"]
    http = english_client()
    http.cookies["kabinet_language"] = "ru"
    shown = http.get(page.url)
    assert shown.status_code == 200
    assert_no_script(shown, f"{page.url} after the editor's POST")


@pytest.fixture
def labelling_client(db, company, client_user):
    from kabinet.numbers.services import number_assign

    number_assign(
        client_id=company.pk,
        number="78124001001",
        subscription_id=None,
        at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
    )
    return logged_in(client_user)


@pytest.mark.django_db
@FUZZ
@given(text=st.one_of(TEXT, TEXT, BROKEN), text_en=st.one_of(TEXT, BROKEN))
def test_consent_text_publish_with_hostile_input(
    as_editor_with_rights, labelling_client, text, text_en
):
    from kabinet.numbers.models import ConsentText

    from .fuzzkit import changed, db_state

    data = {}
    for name, value in (("text", text), ("text_en", text_en)):
        if value is not MISSING:
            data[name] = value
    before = db_state()
    versions = ConsentText.objects.count()

    response = as_editor_with_rights.post("/editor/call-labelling-consent/", data)

    assert response.status_code < 500
    if response.status_code == 302:
        event("published")
        assert ConsentText.objects.count() == versions + 1
        screen = as_editor_with_rights.get("/editor/call-labelling-consent/").content.decode()
        listing = screen.split('data-testid="consent-versions"', 1)[1].split("</table>", 1)[0]
        assert script_problems(listing) == []
        shown = labelling_client.get("/cabinet/call-labelling/apply/")
        assert shown.status_code == 200
        assert_no_script(shown, "the client's application form after a new consent")
    else:
        event("refused")
        assert response.status_code == 400
        assert changed(before, db_state()) == []

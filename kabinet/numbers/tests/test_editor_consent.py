"""Editors publish the consent text's versions in the editor cabinet (Wagtail admin): a new
version each time, earlier ones unchanged, applications keep theirs; nobody without the
permission reaches the screen, and bad input changes nothing."""

from __future__ import annotations

import pytest

from kabinet.accounts.roles import roles_setup
from kabinet.accounts.services import user_sync_role_groups
from kabinet.conftest import logged_in
from kabinet.numbers import services
from kabinet.numbers.models import ConsentText

from .helpers import file, give

pytestmark = pytest.mark.django_db

URL = "/editor/call-labelling-consent/"


@pytest.fixture
def staff(editor, manager):
    """The staff groups with their permissions, as setup_roles makes them."""
    roles_setup()
    for user in (editor, manager):
        user_sync_role_groups(user=user)


def _versions() -> list[tuple[int, str, str]]:
    return list(ConsentText.objects.order_by("version").values_list("version", "text", "text_en"))


def test_the_editors_group_may_publish_consent_versions(staff, editor, manager):
    assert editor.has_perm("numbers.add_consenttext")
    assert not manager.has_perm("numbers.add_consenttext")


def test_an_editor_publishes_a_new_version_and_the_next_application_uses_it(
    staff, editor, company, client_user
):
    give(company, "78124001001")
    before = _versions()
    assert [v[0] for v in before] == [1]
    signed = file(company, client_user)
    http = logged_in(editor)
    assert "call-labelling-consent" in http.get("/editor/").content.decode()  # the menu item
    page = http.get(URL)
    assert page.status_code == 200
    assert before[0][1][:30] in page.content.decode()

    response = http.post(
        URL, {"text": "Согласие, редакция 2", "text_en": "Consent, edition 2"}, follow=True
    )

    assert "Version 2 of the consent text is in force" in response.content.decode()
    assert _versions() == [*before, (2, "Согласие, редакция 2", "Consent, edition 2")]
    assert ConsentText.objects.get(version=2).created_by == editor
    # Both versions stay readable on the screen.
    html = response.content.decode()
    assert "Согласие, редакция 2" in html and before[0][1][:30] in html
    # The application signed before keeps its version; the next one gets the new one.
    signed.refresh_from_db()
    assert signed.consent.version == 1
    services.label_withdraw(client=company, actor=client_user)
    apply_page = logged_in(client_user).get("/cabinet/call-labelling/apply/").content.decode()
    assert "Consent, edition 2" in apply_page
    assert file(company, client_user).consent.version == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"text": "", "text_en": "Consent"}, "This field is required"),
        ({"text": "   ", "text_en": ""}, "This field is required"),
        ({"text": "x" * 5001, "text_en": ""}, "at most 5000 characters"),
    ],
)
def test_bad_input_changes_nothing(staff, editor, data, message):
    before = _versions()
    response = logged_in(editor).post(URL, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert _versions() == before


def test_the_same_text_again_is_refused(staff, editor):
    current = services.consent_current()
    response = logged_in(editor).post(URL, {"text": current.text, "text_en": current.text_en})
    assert response.status_code == 400
    assert "same as the current version" in response.content.decode()
    assert [v[0] for v in _versions()] == [1]


def _refused(response) -> None:
    """Wagtail answers a denied admin view with a redirect to the admin's home (or to the
    sign-in for those without admin access); a 403 is as good."""
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert not response["Location"].startswith(URL)


def test_a_manager_without_the_permission_is_refused(staff, manager):
    http = logged_in(manager)
    before = _versions()
    _refused(http.get(URL))
    _refused(http.post(URL, {"text": "Другое", "text_en": ""}))
    assert _versions() == before
    assert "call-labelling-consent" not in http.get("/editor/").content.decode()
    assert "permission" in http.get(URL, follow=True).content.decode()


def test_a_client_never_reaches_the_screen(staff, client_user):
    http = logged_in(client_user)
    before = _versions()
    for response in (http.get(URL), http.post(URL, {"text": "Другое", "text_en": ""})):
        _refused(response)
    assert _versions() == before


def test_an_editor_without_the_roles_set_up_is_refused(editor):
    _refused(logged_in(editor).get(URL))
    assert [v[0] for v in _versions()] == [1]

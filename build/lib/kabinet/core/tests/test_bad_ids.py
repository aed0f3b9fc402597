"""Ids in query strings that are digits to str.isdigit but not to int(): never a 500."""

import pytest

from kabinet.conftest import logged_in

BAD = ["²", "١٢", "１２", "99999999999999999999999", "-1", ""]


@pytest.mark.django_db
@pytest.mark.parametrize("value", BAD)
@pytest.mark.parametrize(
    ("path", "ok"),
    [
        ("/manager/tariffs/?service=", {200}),
        ("/manager/tariffs/new/?service=", {200, 404}),
        ("/manager/messages/new/?client=", {200}),
        ("/manager/clients/?q=", {200}),
    ],
)
def test_manager_pages_take_junk_ids_calmly(manager, path, ok, value):
    response = logged_in(manager).get(path + value)
    assert response.status_code in ok


@pytest.mark.django_db
@pytest.mark.parametrize("value", BAD)
def test_bulk_decision_with_junk_ids_changes_nothing(manager, value):
    from kabinet.servicedesk.models import RequestEvent

    response = logged_in(manager).post(
        "/manager/requests/bulk/", {"ids": [value], "decision": "approve"}
    )
    assert response.status_code in (200, 302)
    assert not RequestEvent.objects.exists()

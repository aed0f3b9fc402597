"""Every URL of every cabinet is guarded: walked from the URLconf, so new views are covered."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from kabinet.conftest import logged_in

SAMPLE = {
    "int": "1",
    "str": "sample",
    "slug": "sample",
    "uuid": "6f1c7a52-3d0e-4b8a-9c55-2a7d9e4f1b30",
    "path": "sample",
}


def _route_to_path(route: str) -> str | None:
    route = re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE.get(m.group(1) or "str", "1"), route)
    if any(ch in route for ch in "^$()[]?*+\\"):
        # A regex route: replace named groups with a sample and drop anchors.
        route = re.sub(r"\(\?P<\w+>[^)]*\)", "1", route)
        route = route.replace("^", "").replace("$", "").replace("\\", "")
        route = re.sub(r"\(\?:[^)]*\)\??", "", route)
        if any(ch in route for ch in "()[]?*+"):
            return None
    return route


def walk(patterns, prefix: str = ""):
    for entry in patterns:
        route = str(entry.pattern)
        path = _route_to_path(route)
        if path is None:
            continue
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + path)
        elif isinstance(entry, URLPattern):
            yield "/" + (prefix + path).lstrip("/")


ALL_PATHS = sorted(set(walk(get_resolver().url_patterns)))


def paths_under(prefix: str) -> list[str]:
    return [p for p in ALL_PATHS if p.startswith(prefix)]


CLIENT_PATHS = paths_under("/cabinet/")
MANAGER_PATHS = paths_under("/manager/")
EDITOR_PATHS = paths_under("/editor/")
ACCOUNT_PATHS = paths_under("/account/")
GUARDED = CLIENT_PATHS + MANAGER_PATHS + EDITOR_PATHS + ACCOUNT_PATHS


def test_the_walk_finds_every_cabinet():
    assert "/cabinet/" in CLIENT_PATHS
    assert "/manager/clients/1/" in MANAGER_PATHS
    assert "/editor/" in EDITOR_PATHS
    assert len(EDITOR_PATHS) > 50  # Wagtail's admin is guarded too


@pytest.mark.django_db
@pytest.mark.parametrize("path", GUARDED)
def test_anonymous_is_sent_to_login_and_back(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


@pytest.mark.django_db
@pytest.mark.parametrize("path", MANAGER_PATHS + EDITOR_PATHS)
def test_client_user_gets_403_with_advice_in_staff_cabinets(client_user, path):
    http = logged_in(client_user)
    response = http.get(path)
    assert response.status_code == 403
    assert "boss@baltlog.example" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("path", CLIENT_PATHS + MANAGER_PATHS)
def test_editor_gets_403_in_client_and_manager_cabinets(editor, path):
    response = logged_in(editor).get(path)
    assert response.status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("path", CLIENT_PATHS)
def test_manager_gets_403_in_client_cabinet(manager, path):
    response = logged_in(manager).get(path)
    assert response.status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("path", CLIENT_PATHS + ACCOUNT_PATHS)
def test_client_user_reaches_own_cabinet(client_user, path):
    response = logged_in(client_user).get(path)
    assert response.status_code in (200, 302, 404, 405), response.status_code


@pytest.mark.django_db
@pytest.mark.parametrize("path", MANAGER_PATHS + ACCOUNT_PATHS)
def test_manager_reaches_manager_cabinet(manager, path):
    response = logged_in(manager).get(path)
    assert response.status_code in (200, 302, 404, 405), response.status_code


@pytest.mark.django_db
def test_editor_and_manager_reach_the_editor_cabinet(editor, manager):
    from kabinet.accounts.roles import roles_setup
    from kabinet.accounts.services import user_sync_role_groups

    roles_setup()
    for user in (editor, manager):
        user_sync_role_groups(user=user)
        assert logged_in(user).get("/editor/").status_code == 200


@pytest.mark.django_db
def test_client_user_without_company_is_refused(make_user):
    orphan = make_user("orphan@example.com")
    assert logged_in(orphan).get("/cabinet/").status_code == 403


@pytest.mark.django_db
def test_403_page_says_what_to_do(client_user):
    body = logged_in(client_user).get("/manager/").content.decode()
    assert 'href="/cabinet/"' in body
    assert 'action="/logout/"' in body

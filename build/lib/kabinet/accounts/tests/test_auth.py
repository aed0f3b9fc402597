from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.hashers import identify_hasher
from django.test import Client as HttpClient

from kabinet.conftest import PASSWORD
from kabinet.core.models import RateLimitBucket

pytestmark = pytest.mark.django_db


def login(http: HttpClient, email: str, password: str, next_url: str = "", addr: str = "10.0.0.1"):
    data = {"username": email, "password": password}
    if next_url:
        data["next"] = next_url
    return http.post("/login/", data, REMOTE_ADDR=addr)


def test_login_by_email_sends_client_to_cabinet(client, client_user):
    response = login(client, "BOSS@baltlog.example", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/cabinet/"
    assert client.get("/cabinet/").status_code == 200


def test_login_sends_manager_to_manager_cabinet(client, manager):
    response = login(client, manager.email, PASSWORD)
    assert response["Location"] == "/manager/"


def test_login_returns_to_next_after_redirect(client, manager):
    first = client.get("/manager/clients/?status=active")
    assert first["Location"] == "/login/?next=/manager/clients/%3Fstatus%3Dactive"
    response = login(client, manager.email, PASSWORD, next_url="/manager/clients/?status=active")
    assert response["Location"] == "/manager/clients/?status=active"


@pytest.mark.parametrize(
    "evil", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"]
)
def test_login_never_redirects_off_site(client, manager, evil):
    response = login(client, manager.email, PASSWORD, next_url=evil)
    assert response["Location"] == "/manager/"


def test_wrong_password_shows_error_and_does_not_log_in(client, client_user):
    response = login(client, client_user.email, "wrong-password")
    assert response.status_code == 200
    assert "Wrong e-mail or password" in response.content.decode()
    assert client.get("/cabinet/").status_code == 302


def test_blocked_user_cannot_log_in(client, client_user):
    client_user.is_active = False
    client_user.save()
    response = login(client, client_user.email, PASSWORD)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_login_is_throttled_per_account(client, client_user):
    limit = settings.KABINET_LOGIN_MAX_PER_ACCOUNT
    for i in range(limit):
        assert login(client, client_user.email, "bad", addr=f"10.0.1.{i}").status_code == 200
    # Even the right password is refused now, from any address.
    response = login(client, client_user.email, PASSWORD, addr="10.9.9.9")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_is_throttled_per_address(client, make_user, settings):
    settings.KABINET_LOGIN_MAX_PER_ADDRESS = 3
    for i in range(3):
        login(client, f"nobody{i}@example.com", "bad", addr="10.0.0.77")
    user = make_user("someone@example.com")
    response = login(client, user.email, PASSWORD, addr="10.0.0.77")
    assert response.status_code == 429
    # Another address is not affected.
    assert login(client, user.email, PASSWORD, addr="10.0.0.78").status_code == 302


def test_successful_login_clears_account_counter(client, client_user):
    login(client, client_user.email, "bad")
    login(client, client_user.email, "bad")
    assert login(client, client_user.email, PASSWORD).status_code == 302
    assert not RateLimitBucket.objects.filter(key=f"login:account:{client_user.email}").exists()


def test_throttle_window_expires(client, client_user, settings):
    settings.KABINET_LOGIN_WINDOW_SECONDS = 60
    for _ in range(settings.KABINET_LOGIN_MAX_PER_ACCOUNT):
        login(client, client_user.email, "bad")
    RateLimitBucket.objects.update(
        window_start=RateLimitBucket.objects.first().window_start.replace(year=2000)
    )
    assert login(client, client_user.email, PASSWORD).status_code == 302


def test_passwords_are_hashed_with_argon2(settings, make_user):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    user = make_user("argon@example.com")
    assert identify_hasher(user.password).algorithm == "argon2"


def test_logout_needs_post(client, client_user):
    client.force_login(client_user)
    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")
    assert response["Location"] == "/login/"
    assert client.get("/cabinet/").status_code == 302


def test_password_change_keeps_session_and_changes_password(as_client, client_user):
    response = as_client.post(
        "/account/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "Newer-pass-2026",
            "new_password2": "Newer-pass-2026",
        },
    )
    assert response.status_code == 302
    client_user.refresh_from_db()
    assert client_user.check_password("Newer-pass-2026")
    assert as_client.get("/cabinet/").status_code == 200


def test_password_change_with_wrong_old_password_changes_nothing(as_client, client_user):
    response = as_client.post(
        "/account/password/",
        {
            "old_password": "nope",
            "new_password1": "Newer-pass-2026",
            "new_password2": "Newer-pass-2026",
        },
    )
    assert response.status_code == 200
    client_user.refresh_from_db()
    assert client_user.check_password(PASSWORD)


def test_language_switch_is_remembered_on_the_account(as_client, client_user):
    response = as_client.post("/language/", {"language": "en", "next": "/cabinet/"})
    assert response.status_code == 302
    client_user.refresh_from_db()
    assert client_user.language == "en"
    assert as_client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"

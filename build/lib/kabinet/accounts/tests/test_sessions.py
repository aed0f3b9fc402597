from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from kabinet.accounts import sessions as sessions_module
from kabinet.accounts.devices import device_label
from kabinet.accounts.models import SessionEnd, UserSession
from kabinet.conftest import PASSWORD, english_client

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME_WIN = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)


def sign_in(user, addr: str = "10.0.0.1", agent: str = FIREFOX):
    http = english_client()
    response = http.post(
        "/login/",
        {"username": user.email, "password": PASSWORD},
        REMOTE_ADDR=addr,
        HTTP_USER_AGENT=agent,
    )
    assert response.status_code == 302
    return http


def signed_in(http) -> bool:
    return "_auth_user_id" in http.session


def row_of(http) -> UserSession:
    return UserSession.objects.get(pk=http.session[sessions_module.SESSION_ROW_KEY])


def test_sign_in_records_the_session_with_device_address_and_times(client_user):
    http = sign_in(client_user, addr="10.1.2.3", agent=CHROME_WIN)
    row = row_of(http)
    assert row.user == client_user
    assert row.session_key == http.session.session_key
    assert row.ip == "10.1.2.3"
    assert row.device == "Chrome 126, Windows"
    assert row.ended_at is None
    expected = row.created_at + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert abs((row.expires_at - expected).total_seconds()) < 2


def test_sessions_page_lists_only_the_users_own_sessions(client_user, colleague):
    mine_a = sign_in(client_user, addr="10.0.0.1", agent=FIREFOX)
    sign_in(client_user, addr="10.0.0.2", agent=CHROME_WIN)
    sign_in(colleague, addr="10.0.0.3")
    response = mine_a.get("/account/sessions/")
    assert response.status_code == 200
    listed = response.context["sessions"]
    assert [s.user_id for s in listed] == [client_user.pk, client_user.pk]
    assert {s.ip for s in listed} == {"10.0.0.1", "10.0.0.2"}
    body = response.content.decode()
    assert "10.0.0.3" not in body
    assert "Firefox 128, Linux" in body and "Chrome 126, Windows" in body
    assert body.count("This device") == 1
    assert response.context["current_id"] == row_of(mine_a).pk


def test_sessions_page_runs_a_fixed_number_of_queries(client_user, django_assert_max_num_queries):
    http = sign_in(client_user)
    for i in range(2, 8):
        sign_in(client_user, addr=f"10.0.0.{i}")
    with django_assert_max_num_queries(8):
        http.get("/account/sessions/")


def test_ending_another_session_signs_that_device_out(client_user):
    laptop = sign_in(client_user, addr="10.0.0.1")
    phone = sign_in(client_user, addr="10.0.0.2")
    phone_row = row_of(phone)
    response = laptop.post(f"/account/sessions/{phone_row.pk}/end/")
    assert response["Location"] == "/account/sessions/"
    phone_row.refresh_from_db()
    assert phone_row.ended_at is not None
    assert phone_row.end_reason == SessionEnd.ENDED
    assert not Session.objects.filter(session_key=phone_row.session_key).exists()
    assert phone.get("/cabinet/").status_code == 302
    assert laptop.get("/cabinet/").status_code == 200


def test_the_current_session_is_not_ended_from_the_list(client_user):
    laptop = sign_in(client_user)
    row = row_of(laptop)
    laptop.post(f"/account/sessions/{row.pk}/end/")
    row.refresh_from_db()
    assert row.ended_at is None
    assert laptop.get("/cabinet/").status_code == 200


def test_ending_another_users_session_is_404_and_changes_nothing(client_user, other_client_user):
    mine = sign_in(client_user)
    theirs = sign_in(other_client_user)
    their_row = row_of(theirs)
    response = mine.post(f"/account/sessions/{their_row.pk}/end/")
    assert response.status_code == 404
    their_row.refresh_from_db()
    assert their_row.ended_at is None
    assert Session.objects.filter(session_key=their_row.session_key).exists()
    assert theirs.get("/cabinet/").status_code == 200


def test_ending_all_other_sessions_keeps_this_one(client_user, colleague):
    laptop = sign_in(client_user)
    others = [sign_in(client_user, addr=f"10.0.1.{i}") for i in range(3)]
    colleague_http = sign_in(colleague)
    response = laptop.post("/account/sessions/end-others/", follow=True)
    assert "3 other sessions are ended." in response.content.decode()
    assert all(not signed_in(http) or http.get("/cabinet/").status_code == 302 for http in others)
    assert laptop.get("/cabinet/").status_code == 200
    assert colleague_http.get("/cabinet/").status_code == 200
    assert UserSession.objects.filter(user=client_user, ended_at__isnull=True).count() == 1


def test_password_change_ends_the_other_sessions_and_keeps_this_one(client_user):
    laptop = sign_in(client_user)
    phone = sign_in(client_user, addr="10.0.0.2")
    response = laptop.post(
        "/account/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-long-passphrase",
            "new_password2": "a-new-long-passphrase",
        },
        follow=True,
    )
    assert "Your password is changed. 1 other session is ended." in response.content.decode()
    assert laptop.get("/cabinet/").status_code == 200
    assert phone.get("/cabinet/").status_code == 302
    laptop_row = row_of(laptop)
    assert laptop_row.ended_at is None
    # The session key changed with the password; the row follows it.
    assert laptop_row.session_key == laptop.session.session_key
    phone_row = UserSession.objects.get(user=client_user, ip="10.0.0.2")
    assert phone_row.end_reason == SessionEnd.PASSWORD


def test_password_reset_ends_every_session(client_user, mailoutbox):
    laptop = sign_in(client_user)
    anonymous = english_client()
    anonymous.post("/password-reset/", {"email": client_user.email})
    link = re.search(r"/password-reset/\S+/\S+/", mailoutbox[0].body).group(0)
    form_page = anonymous.get(link, follow=True)
    anonymous.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-new-long-passphrase", "new_password2": "a-new-long-passphrase"},
    )
    client_user.refresh_from_db()
    assert client_user.check_password("a-new-long-passphrase")
    assert laptop.get("/cabinet/").status_code == 302
    assert set(
        UserSession.objects.filter(user=client_user).values_list("end_reason", flat=True)
    ) == {SessionEnd.PASSWORD_RESET}


def test_last_activity_is_written_at_most_once_a_minute(client_user, monkeypatch):
    http = sign_in(client_user)
    row = row_of(http)
    stamp = timezone.now() - timedelta(hours=1)
    UserSession.objects.filter(pk=row.pk).update(last_activity_at=stamp)
    http.get("/cabinet/")
    row.refresh_from_db()
    assert row.last_activity_at == stamp
    real_time = sessions_module.time.time
    monkeypatch.setattr(
        "kabinet.accounts.sessions.time.time", lambda: real_time() + sessions_module.TOUCH_SECONDS
    )
    http.get("/cabinet/", REMOTE_ADDR="10.9.9.9")
    row.refresh_from_db()
    assert row.last_activity_at > stamp
    assert row.ip == "10.9.9.9"


def test_using_the_session_does_not_extend_the_sign_in(client_user, monkeypatch):
    http = sign_in(client_user)
    expiry = http.session.get_expiry_date()
    real_time = sessions_module.time.time
    monkeypatch.setattr(
        "kabinet.accounts.sessions.time.time", lambda: real_time() + sessions_module.TOUCH_SECONDS
    )
    http.get("/cabinet/")
    assert abs((http.session.get_expiry_date() - expiry).total_seconds()) < 1


def test_signing_out_ends_the_session_row(client_user):
    http = sign_in(client_user)
    row = row_of(http)
    http.post("/logout/")
    row.refresh_from_db()
    assert row.end_reason == SessionEnd.SIGN_OUT
    assert row.ended_at is not None


def test_a_session_ended_elsewhere_is_signed_out_at_its_next_minute(client_user, monkeypatch):
    http = sign_in(client_user)
    UserSession.objects.filter(pk=row_of(http).pk).update(ended_at=timezone.now())
    real_time = sessions_module.time.time
    monkeypatch.setattr(
        "kabinet.accounts.sessions.time.time", lambda: real_time() + sessions_module.TOUCH_SECONDS
    )
    assert http.get("/cabinet/").status_code == 302


@pytest.mark.parametrize(
    ("agent", "label"),
    [
        (FIREFOX, "Firefox 128, Linux"),
        (CHROME_WIN, "Chrome 126, Windows"),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Safari 17, iPhone",
        ),
        (CHROME_WIN + " Edg/126.0.0.0", "Edge 126, Windows"),
        (
            "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0 YaBrowser/24.6.0 Mobile Safari/537.36",
            "Yandex Browser 24, Android",
        ),
        ("curl/8.5.0", "curl/8.5.0"),
        ("", "Unknown device"),
    ],
)
def test_device_label_is_short(agent, label):
    assert device_label(agent) == label

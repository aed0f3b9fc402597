from __future__ import annotations

import logging

import pytest
from django.conf import settings
from django.test import Client as HttpClient

from kabinet.accounts import twofactor
from kabinet.accounts.models import RecoveryCode, Role, TwoFactor, hash_token
from kabinet.audit.models import AuditEntry
from kabinet.conftest import PASSWORD, english_client, logged_in
from kabinet.lib.totp import secret_bytes, totp
from kabinet.notifications.models import Notification

pytestmark = pytest.mark.django_db

T0 = 1_750_000_020.0  # the start of a 30-second step


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """The clock the TOTP codes are checked against (only theirs: nothing else moves)."""
    fake = Clock()
    monkeypatch.setattr("kabinet.lib.totp.time", fake)
    return fake


def code_for(secret: str, at: float) -> str:
    return totp(secret_bytes(secret), at)


def enrol(user, clock: Clock) -> tuple[str, list[str]]:
    """Turn two-factor sign-in on for ``user``; later codes must come from a later step."""
    secret = twofactor.twofactor_setup_secret(user=user)
    codes = twofactor.twofactor_enable(user=user, code=code_for(secret, clock.now))
    clock.now += 30
    return secret, codes


def password_step(http: HttpClient, email: str, next_url: str = "", addr: str = "10.0.0.1"):
    data = {"username": email, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return http.post("/login/", data, REMOTE_ADDR=addr)


def code_step(http: HttpClient, code: str, addr: str = "10.0.0.1"):
    return http.post("/login/code/", {"code": code}, REMOTE_ADDR=addr)


def signed_in(http: HttpClient) -> bool:
    return "_auth_user_id" in http.session


# --- Enrolment ---------------------------------------------------------------------------------


def test_setup_page_shows_an_inline_svg_qr_code_and_the_key(as_client, client_user, clock):
    response = as_client.get("/account/two-factor/setup/")
    assert response.status_code == 200
    body = response.content.decode()
    secret_grouped = response.context["secret_grouped"]
    secret = secret_grouped.replace(" ", "")
    assert len(secret) == 32
    assert secret_grouped in body
    assert '<svg width="' in body and "<img" not in body.split('data-testid="qr"')[1][:200]
    # Reloading shows the same key, so the app scanned a moment ago still matches.
    assert as_client.get("/account/two-factor/setup/").context["secret_grouped"] == secret_grouped


def test_the_key_is_stored_encrypted(client_user, clock):
    secret = twofactor.twofactor_setup_secret(user=client_user)
    record = TwoFactor.objects.get(user=client_user)
    assert secret not in record.pending_secret
    assert record.pending_secret.startswith("gAAAAA")  # a Fernet token
    assert record.enabled_at is None


def test_enrolment_with_the_right_code_turns_it_on_and_shows_ten_codes_once(
    as_client, client_user, clock
):
    secret = as_client.get("/account/two-factor/setup/").context["secret_grouped"]
    response = as_client.post(
        "/account/two-factor/setup/", {"code": code_for(secret.replace(" ", ""), clock.now)}
    )
    assert response.status_code == 200
    codes = response.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(len(c) == 11 and c[5] == "-" for c in codes)
    record = TwoFactor.objects.get(user=client_user)
    assert record.is_enabled
    assert record.pending_secret == ""
    assert record.last_used_step == int(clock.now // 30)
    stored = set(RecoveryCode.objects.filter(user=client_user).values_list("code_hash", flat=True))
    assert stored == {hash_token(c.replace("-", "")) for c in codes}
    assert (
        AuditEntry.objects.filter(action="user.2fa_enable", object_id=str(client_user.pk)).count()
        == 1
    )
    status = as_client.get("/account/two-factor/")
    assert status.context["enabled"] is True
    assert status.context["codes_left"] == 10
    # The key is never shown again: the status page has no key, and set-up makes a new one.
    assert secret not in status.content.decode()
    again = as_client.get("/account/two-factor/setup/").context["secret_grouped"]
    assert again != secret


def test_enrolment_with_a_wrong_code_changes_nothing(as_client, client_user, clock):
    secret = as_client.get("/account/two-factor/setup/").context["secret_grouped"].replace(" ", "")
    wrong = code_for(secret, clock.now + 300)
    response = as_client.post("/account/two-factor/setup/", {"code": wrong})
    assert response.status_code == 200
    assert "The code is not right" in response.content.decode()
    record = TwoFactor.objects.get(user=client_user)
    assert record.enabled_at is None and record.secret == ""
    assert RecoveryCode.objects.filter(user=client_user).count() == 0


# --- Sign-in ---------------------------------------------------------------------------------


def test_sign_in_asks_for_the_code_and_signs_in_only_after_it(client, client_user, clock):
    secret, _codes = enrol(client_user, clock)
    response = password_step(client, client_user.email)
    assert response.status_code == 302
    assert response["Location"] == "/login/code/"
    assert not signed_in(client)
    assert client.get("/cabinet/").status_code == 302
    page = client.get("/login/code/")
    assert client_user.email in page.content.decode()
    response = code_step(client, code_for(secret, clock.now))
    assert response.status_code == 302
    assert response["Location"] == "/cabinet/"
    assert signed_in(client)
    assert twofactor.PENDING_SESSION_KEY not in client.session
    assert client.get("/cabinet/").status_code == 200


def test_sign_in_without_two_factor_is_one_step(client, client_user):
    response = password_step(client, client_user.email)
    assert response["Location"] == "/cabinet/"
    assert signed_in(client)


def test_code_step_keeps_next(client, manager, clock):
    secret, _codes = enrol(manager, clock)
    password_step(client, manager.email, next_url="/manager/clients/?status=active")
    response = code_step(client, code_for(secret, clock.now))
    assert response["Location"] == "/manager/clients/?status=active"


@pytest.mark.parametrize(
    "evil", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"]
)
def test_code_step_never_redirects_off_site(client, manager, clock, evil):
    secret, _codes = enrol(manager, clock)
    password_step(client, manager.email, next_url=evil)
    response = code_step(client, code_for(secret, clock.now))
    assert response["Location"] == "/manager/"


def test_sign_in_with_a_recovery_code_works_once(client, client_user, clock):
    _secret, codes = enrol(client_user, clock)
    password_step(client, client_user.email)
    response = client.post("/login/recovery/", {"code": codes[3].upper().replace("-", " ")})
    assert response["Location"] == "/cabinet/"
    assert signed_in(client)
    assert twofactor.recovery_codes_left(user=client_user) == 9
    notice = Notification.objects.get(user=client_user)
    assert notice.title == "A recovery code was used to sign in"

    other = english_client()
    password_step(other, client_user.email)
    response = other.post("/login/recovery/", {"code": codes[3]})
    assert response.status_code == 200
    assert "The code is not right" in response.content.decode()
    assert not signed_in(other)
    assert twofactor.recovery_codes_left(user=client_user) == 9


def test_wrong_code_is_refused_logged_and_changes_nothing(client, client_user, clock, caplog):
    secret, _codes = enrol(client_user, clock)
    before = TwoFactor.objects.get(user=client_user).last_used_step
    password_step(client, client_user.email)
    wrong = code_for(secret, clock.now + 600)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="kabinet.security"):
        response = code_step(client, wrong)
    assert response.status_code == 200
    assert "The code is not right" in response.content.decode()
    assert not signed_in(client)
    assert TwoFactor.objects.get(user=client_user).last_used_step == before
    lines = [r.getMessage() for r in caplog.records if r.name == "kabinet.security"]
    assert lines == [
        "event=2fa_failed ip=10.0.0.1 method=POST path=/login/code/ user=- "
        f"account={client_user.pk} kind=wrong"
    ]
    assert wrong not in lines[0] and secret not in lines[0]


def test_a_code_is_never_accepted_twice(client, client_user, clock, caplog):
    secret, _codes = enrol(client_user, clock)
    code = code_for(secret, clock.now)
    password_step(client, client_user.email)
    assert code_step(client, code).status_code == 302
    other = english_client()
    password_step(other, client_user.email)
    with caplog.at_level(logging.WARNING, logger="kabinet.security"):
        response = code_step(other, code)
    assert response.status_code == 200
    assert not signed_in(other)
    assert "kind=replay" in caplog.text


def test_the_code_used_to_enrol_cannot_sign_in(client, client_user, clock):
    secret = twofactor.twofactor_setup_secret(user=client_user)
    code = code_for(secret, clock.now)
    twofactor.twofactor_enable(user=client_user, code=code)
    password_step(client, client_user.email)
    assert code_step(client, code).status_code == 200
    assert not signed_in(client)


def test_wrong_codes_are_throttled_then_even_the_right_one_is_refused(
    client, client_user, clock, settings
):
    secret, _codes = enrol(client_user, clock)
    password_step(client, client_user.email)
    for _i in range(settings.KABINET_2FA_MAX_ATTEMPTS):
        assert code_step(client, "000000").status_code == 200
    response = code_step(client, code_for(secret, clock.now))
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many wrong codes" in response.content.decode()
    assert not signed_in(client)
    # From another address too: the limit is per account.
    other = english_client()
    password_step(other, client_user.email, addr="10.7.7.7")
    assert code_step(other, code_for(secret, clock.now), addr="10.7.7.7").status_code == 429
    assert not signed_in(other)


def test_recovery_codes_are_throttled_too(client, client_user, clock, settings):
    _secret, codes = enrol(client_user, clock)
    password_step(client, client_user.email)
    for _i in range(settings.KABINET_2FA_MAX_ATTEMPTS):
        client.post("/login/recovery/", {"code": "aaaaa-aaaaa"})
    assert client.post("/login/recovery/", {"code": codes[0]}).status_code == 429
    assert twofactor.recovery_codes_left(user=client_user) == 10


def test_code_step_without_the_password_step_goes_back_to_sign_in(client):
    response = client.post("/login/code/", {"code": "123456"})
    assert response["Location"] == "/login/"
    assert client.get("/login/recovery/")["Location"] == "/login/"


def test_half_sign_in_expires_after_a_few_minutes(client, client_user, clock, monkeypatch):
    secret, _codes = enrol(client_user, clock)
    password_step(client, client_user.email)
    real_time = twofactor.time.time
    monkeypatch.setattr(
        "kabinet.accounts.twofactor.time.time",
        lambda: real_time() + settings.KABINET_2FA_PENDING_SECONDS + 1,
    )
    response = code_step(client, code_for(secret, clock.now))
    assert response["Location"] == "/login/"
    assert not signed_in(client)
    assert twofactor.PENDING_SESSION_KEY not in client.session


def test_a_password_change_voids_the_half_sign_in(client, client_user, clock):
    secret, _codes = enrol(client_user, clock)
    password_step(client, client_user.email)
    client_user.set_password("another-long-password")
    client_user.save()
    response = code_step(client, code_for(secret, clock.now))
    assert response["Location"] == "/login/"
    assert not signed_in(client)


# --- Required for staff ------------------------------------------------------------------------

STAFF_PATHS = {
    Role.MANAGER: ["/manager/", "/manager/clients/", "/editor/", "/editor/pages/", "/account/"],
    Role.EDITOR: ["/editor/", "/editor/pages/", "/account/", "/account/sessions/"],
    Role.ADMIN: ["/manager/", "/editor/", "/django-admin/", "/django-admin/logout/"],
}


@pytest.fixture
def staff(make_user):
    from kabinet.accounts.roles import roles_setup
    from kabinet.accounts.services import user_sync_role_groups

    roles_setup()

    def make(role: str):
        user = make_user(f"{role}@staff.example", role, is_staff=role == Role.ADMIN)
        user_sync_role_groups(user=user)
        return user

    return make


@pytest.mark.parametrize(
    ("role", "path"), [(role, path) for role, paths in STAFF_PATHS.items() for path in paths]
)
def test_required_setting_sends_staff_without_two_factor_to_setup(settings, staff, role, path):
    settings.KABINET_STAFF_2FA_REQUIRED = True
    http = logged_in(staff(role))
    response = http.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/account/two-factor/setup/?next=")
    assert http.get(response["Location"]).status_code == 200


@pytest.mark.parametrize("role", [Role.MANAGER, Role.EDITOR, Role.ADMIN])
def test_staff_reach_their_cabinets_once_enrolled(settings, staff, clock, role):
    settings.KABINET_STAFF_2FA_REQUIRED = True
    user = staff(role)
    enrol(user, clock)
    http = logged_in(user)
    for path in STAFF_PATHS[role]:
        response = http.get(path)
        assert response.status_code in (200, 302, 405), path
        assert "two-factor" not in response.get("Location", ""), path


def test_required_setting_leaves_the_help_open(settings, staff):
    settings.KABINET_STAFF_2FA_REQUIRED = True
    http = logged_in(staff(Role.MANAGER))
    assert http.get("/help/manager/").status_code in (200, 404)


def test_without_the_setting_staff_are_not_forced(settings, staff):
    settings.KABINET_STAFF_2FA_REQUIRED = False
    assert logged_in(staff(Role.MANAGER)).get("/manager/").status_code == 200


def test_client_users_are_never_forced(settings, as_client):
    settings.KABINET_STAFF_2FA_REQUIRED = True
    assert as_client.get("/cabinet/").status_code == 200


def test_required_staff_sign_in_goes_to_setup_then_back(settings, client, manager, clock):
    settings.KABINET_STAFF_2FA_REQUIRED = True
    response = password_step(client, manager.email, next_url="/manager/clients/")
    assert response["Location"] == "/manager/clients/"
    response = client.get("/manager/clients/")
    assert response["Location"] == "/account/two-factor/setup/?next=%2Fmanager%2Fclients%2F"
    page = client.get(response["Location"])
    assert page.context["required"] is True
    secret = page.context["secret_grouped"].replace(" ", "")
    done = client.post(
        "/account/two-factor/setup/",
        {"code": code_for(secret, clock.now), "next": "/manager/clients/"},
    )
    assert done.context["next"] == "/manager/clients/"
    assert client.get("/manager/clients/").status_code == 200


@pytest.mark.parametrize("path", ["/editor/login/", "/django-admin/login/", "/_util/login/"])
def test_wagtail_and_django_admin_sign_in_pages_are_closed(client, admin_user, path):
    assert client.get(path)["Location"].startswith("/login/")
    response = client.post(path, {"username": admin_user.email, "password": PASSWORD})
    assert response["Location"].startswith("/login/")
    assert not signed_in(client)


def test_wagtail_front_end_sign_in_sends_to_ours_with_next(client):
    response = client.get("/_util/login/?next=/private/")
    assert response["Location"] == "/login/?next=%2Fprivate%2F"


@pytest.mark.parametrize("path", ["/editor/login/", "/django-admin/login/", "/_util/login/"])
def test_admin_sign_in_pages_cannot_switch_a_signed_in_admin_to_another_account(
    admin_user, make_user, path
):
    other = make_user("admin2@test.example", Role.ADMIN, is_staff=True, is_superuser=True)
    http = logged_in(admin_user)
    response = http.post(path, {"username": other.email, "password": PASSWORD})
    assert response.status_code == 302
    assert http.session["_auth_user_id"] == str(admin_user.pk)


def test_django_admin_password_change_goes_to_ours(admin_user):
    response = logged_in(admin_user).get("/django-admin/password_change/")
    assert response["Location"] == "/account/password/"


# --- Turning off, new codes --------------------------------------------------------------------


def test_client_turns_two_factor_off_with_the_password(as_client, client_user, clock):
    enrol(client_user, clock)
    response = as_client.post("/account/two-factor/turn-off/", {"confirmation": PASSWORD})
    assert response["Location"] == "/account/two-factor/"
    assert not twofactor.twofactor_enabled(user=client_user)
    assert RecoveryCode.objects.filter(user=client_user).count() == 0
    assert Notification.objects.get(user=client_user).title == "Two-factor sign-in is turned off"


def test_client_turns_two_factor_off_with_a_current_code(as_client, client_user, clock):
    secret, _codes = enrol(client_user, clock)
    code = code_for(secret, clock.now)
    response = as_client.post("/account/two-factor/turn-off/", {"confirmation": code})
    assert response.status_code == 302
    assert not twofactor.twofactor_enabled(user=client_user)


def test_turning_off_with_a_wrong_confirmation_changes_nothing(as_client, client_user, clock):
    enrol(client_user, clock)
    response = as_client.post("/account/two-factor/turn-off/", {"confirmation": "wrong-password"})
    assert response.status_code == 200
    assert "The code is not right" in response.content.decode()
    assert twofactor.twofactor_enabled(user=client_user)
    assert RecoveryCode.objects.filter(user=client_user).count() == 10


def test_staff_cannot_turn_it_off_while_it_is_required(settings, manager, clock):
    settings.KABINET_STAFF_2FA_REQUIRED = True
    enrol(manager, clock)
    http = logged_in(manager)
    response = http.post("/account/two-factor/turn-off/", {"confirmation": PASSWORD})
    assert response.status_code == 200
    assert "required for your role" in response.content.decode()
    assert twofactor.twofactor_enabled(user=manager)


def test_new_recovery_codes_replace_the_old_ones(as_client, client_user, clock):
    _secret, old = enrol(client_user, clock)
    RecoveryCode.objects.filter(
        user=client_user, code_hash=hash_token(old[0].replace("-", ""))
    ).update(used_at="2025-01-01T00:00:00Z")
    assert twofactor.recovery_codes_left(user=client_user) == 9
    response = as_client.post("/account/two-factor/recovery-codes/", {"confirmation": PASSWORD})
    new = response.context["codes"]
    assert len(new) == 10 and not set(new) & set(old)
    assert twofactor.recovery_codes_left(user=client_user) == 10
    assert as_client.get("/account/two-factor/").context["codes_left"] == 10


def test_a_new_phone_keeps_the_old_one_working_until_confirmed(as_client, client_user, clock):
    secret, _codes = enrol(client_user, clock)
    new_secret = as_client.get("/account/two-factor/setup/").context["secret_grouped"]
    assert new_secret.replace(" ", "") != secret
    record = TwoFactor.objects.get(user=client_user)
    assert record.is_enabled and record.pending_secret
    clock.now += 30
    as_client.post(
        "/account/two-factor/setup/", {"code": code_for(new_secret.replace(" ", ""), clock.now)}
    )
    assert twofactor.twofactor_enabled(user=client_user)
    record.refresh_from_db()
    assert record.pending_secret == ""
    assert AuditEntry.objects.filter(action="user.2fa_new_device").count() == 1


# --- Manager reset -----------------------------------------------------------------------------


def reset_url(client_pk: int, user_pk: int) -> str:
    return f"/manager/clients/{client_pk}/users/{user_pk}/two-factor-reset/"


def test_manager_resets_a_client_users_second_factor(
    as_manager, manager, company, client_user, clock
):
    enrol(client_user, clock)
    page = as_manager.get(f"/manager/clients/{company.pk}/")
    assert reset_url(company.pk, client_user.pk) in page.content.decode()
    assert as_manager.get(reset_url(company.pk, client_user.pk)).status_code == 200
    response = as_manager.post(
        reset_url(company.pk, client_user.pk),
        {"reason": "Lost phone, confirmed by a call", "confirm": "on"},
    )
    assert response["Location"] == f"/manager/clients/{company.pk}/"
    assert not twofactor.twofactor_enabled(user=client_user)
    assert RecoveryCode.objects.filter(user=client_user).count() == 0
    entry = AuditEntry.objects.get(action="user.2fa_reset")
    assert entry.actor == manager
    assert entry.object_id == str(company.pk)
    assert entry.comment == "Lost phone, confirmed by a call"
    assert entry.before == {"user": client_user.email, "two_factor": True}
    assert entry.after == {"user": client_user.email, "two_factor": False}
    notice = Notification.objects.get(user=client_user)
    assert notice.title == "Your two-factor sign-in was reset"
    assert "Ирина Волкова" in notice.body and "Lost phone, confirmed by a call" in notice.body


def test_reset_needs_a_reason_and_the_confirmation(as_manager, company, client_user, clock):
    enrol(client_user, clock)
    url = reset_url(company.pk, client_user.pk)
    assert as_manager.post(url, {"reason": "", "confirm": "on"}).status_code == 200
    assert as_manager.post(url, {"reason": "Lost phone"}).status_code == 200
    assert twofactor.twofactor_enabled(user=client_user)
    assert AuditEntry.objects.filter(action="user.2fa_reset").count() == 0


def test_reset_of_a_user_of_another_company_is_404(
    as_manager, company, other_client_user, client_user, manager, clock
):
    enrol(other_client_user, clock)
    url = reset_url(company.pk, other_client_user.pk)
    assert as_manager.get(url).status_code == 404
    assert as_manager.post(url, {"reason": "x", "confirm": "on"}).status_code == 404
    assert (
        as_manager.post(
            reset_url(company.pk, manager.pk), {"reason": "x", "confirm": "on"}
        ).status_code
        == 404
    )
    assert twofactor.twofactor_enabled(user=other_client_user)


def test_only_managers_reset(company, client_user, colleague, editor, clock):
    enrol(client_user, clock)
    url = reset_url(company.pk, client_user.pk)
    for user in (colleague, editor):
        assert logged_in(user).post(url, {"reason": "x", "confirm": "on"}).status_code == 403
    assert twofactor.twofactor_enabled(user=client_user)


def test_reset_of_a_user_without_two_factor_says_so(as_manager, company, client_user):
    response = as_manager.get(reset_url(company.pk, client_user.pk), follow=True)
    assert "there is nothing to reset" in response.content.decode()


def test_an_administrator_resets_a_managers_second_factor_from_the_command_line(manager, clock):
    from django.core.management import call_command

    enrol(manager, clock)
    call_command("twofactor_reset", manager.email, reason="Lost phone and codes")
    assert not twofactor.twofactor_enabled(user=manager)
    entry = AuditEntry.objects.get(action="user.2fa_reset")
    assert entry.actor_repr == "system"
    assert entry.object_id == str(manager.pk)
    assert "The administrator" in Notification.objects.get(user=manager).body


def test_a_manager_cannot_reset_another_staff_members_second_factor(manager, other_manager, clock):
    from django.core.exceptions import PermissionDenied

    enrol(other_manager, clock)
    with pytest.raises(PermissionDenied):
        twofactor.twofactor_reset(actor=manager, user=other_manager, reason="x")
    assert twofactor.twofactor_enabled(user=other_manager)


def test_the_pages_speak_russian(client_user, company, clock):
    http = logged_in(client_user)
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    assert "Двухфакторный вход" in http.get("/account/two-factor/").content.decode()
    assert (
        "Добавьте этот сайт в приложение" in http.get("/account/two-factor/setup/").content.decode()
    )
    assert "Сеансы" in http.get("/account/sessions/").content.decode()
    enrol(client_user, clock)
    anonymous = HttpClient()
    password_step(anonymous, client_user.email)
    anonymous.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    body = anonymous.get("/login/code/").content.decode()
    assert "Введите код из приложения" in body
    assert "Нет телефона? Войти по резервному коду" in body


@pytest.mark.parametrize("digits", ["١٢٣٤٥٦", "１２３４５６", "²³⁴⁵⁶⁷"])
def test_a_code_in_other_scripts_digits_is_a_wrong_code_not_an_error(
    client, client_user, clock, digits
):
    enrol(client_user, clock)
    password_step(client, client_user.email)
    response = code_step(client, digits)
    assert response.status_code == 200
    assert "The code is not right" in response.content.decode()
    assert not signed_in(client)

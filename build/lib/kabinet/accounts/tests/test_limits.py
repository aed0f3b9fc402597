"""Abuse limits on password reset and invitations: per address, per e-mail, per account."""

from __future__ import annotations

import logging

import pytest
from django.core import mail

from kabinet.accounts.models import Invitation
from kabinet.conftest import logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def reset_limits(settings):
    settings.KABINET_PASSWORD_RESET_MAX_PER_EMAIL = 2
    settings.KABINET_PASSWORD_RESET_MAX_PER_ADDRESS = 4
    settings.KABINET_PASSWORD_RESET_WINDOW_SECONDS = 3600


def test_password_reset_per_email_limit_sends_nothing_more(
    client, client_user, reset_limits, caplog
):
    for _ in range(2):
        assert client.post("/password-reset/", {"email": client_user.email}).status_code == 302
    assert len(mail.outbox) == 2
    with caplog.at_level(logging.WARNING, logger="kabinet.security"):
        response = client.post("/password-reset/", {"email": client_user.email.upper()})
    assert response.status_code == 429
    assert 3500 < int(response["Retry-After"]) <= 3600
    assert "Too many attempts. Try again in 60 minutes." in response.content.decode()
    assert len(mail.outbox) == 2
    [line] = [r.getMessage() for r in caplog.records if r.name == "kabinet.security"]
    assert line.startswith(
        "event=password_reset_throttled ip=127.0.0.1 method=POST path=/password-reset/ user=- "
    )
    assert line.endswith("account=boss@baltlog.example")


def test_password_reset_limit_is_the_same_for_unknown_emails(client, reset_limits):
    """The answer past the limit must not tell a registered e-mail from an unknown one."""
    for _ in range(2):
        client.post("/password-reset/", {"email": "nobody@example.com"})
    response = client.post("/password-reset/", {"email": "nobody@example.com"})
    assert response.status_code == 429
    assert mail.outbox == []


def test_password_reset_per_address_limit_covers_many_emails(client, client_user, reset_limits):
    for n in range(4):
        client.post("/password-reset/", {"email": f"someone{n}@example.com"})
    response = client.post("/password-reset/", {"email": client_user.email})
    assert response.status_code == 429
    assert mail.outbox == []
    other = client.post(
        "/password-reset/", {"email": client_user.email}, REMOTE_ADDR="198.51.100.20"
    )
    assert other.status_code == 302
    assert len(mail.outbox) == 1


def test_password_reset_limit_message_in_russian(client_user, reset_limits):
    from django.test import Client

    http = Client()
    for _ in range(2):
        http.post("/password-reset/", {"email": client_user.email})
    body = http.post("/password-reset/", {"email": client_user.email}).content.decode()
    assert "Слишком много попыток. Попробуйте снова через 60 минут." in body


@pytest.fixture
def invite_limits(settings):
    settings.KABINET_INVITATION_MAX_PER_ACCOUNT = 2
    settings.KABINET_INVITATION_MAX_PER_ADDRESS = 3
    settings.KABINET_INVITATION_WINDOW_SECONDS = 3600


def test_manager_invitations_past_the_account_limit_are_refused(
    as_manager, company, invite_limits, caplog
):
    for n in range(2):
        as_manager.post(
            f"/manager/clients/{company.pk}/invite",
            {"email": f"p{n}@example.com", "membership_role": "member"},
        )
    with caplog.at_level(logging.WARNING, logger="kabinet.security"):
        response = as_manager.post(
            f"/manager/clients/{company.pk}/invite",
            {"email": "p9@example.com", "membership_role": "member"},
            follow=True,
        )
    assert "Too many attempts. Try again in 60 minutes." in response.content.decode()
    assert sorted(Invitation.objects.values_list("email", flat=True)) == [
        "p0@example.com",
        "p1@example.com",
    ]
    assert len(mail.outbox) == 2
    [line] = [r.getMessage() for r in caplog.records if r.name == "kabinet.security"]
    assert line.startswith("event=invitation_throttled ip=127.0.0.1 method=POST")


def test_refused_invitations_count_too(as_manager, company, client_user, invite_limits):
    """Refusals ("already has an account") tell who is registered: they count as well."""
    url = f"/manager/clients/{company.pk}/invite"
    data = {"email": client_user.email, "membership_role": "member"}
    for _ in range(2):
        body = as_manager.post(url, data, follow=True).content.decode()
        assert "This e-mail already has an account." in body
    body = as_manager.post(url, data, follow=True).content.decode()
    assert "Too many attempts. Try again in 60 minutes." in body
    assert "This e-mail already has an account." not in body


def test_company_admin_invitations_are_limited_with_429(client_user, invite_limits):
    http = logged_in(client_user)
    for n in range(2):
        assert (
            http.post(
                "/cabinet/company/", {"email": f"c{n}@example.com", "membership_role": "member"}
            ).status_code
            == 302
        )
    response = http.post(
        "/cabinet/company/", {"email": "c9@example.com", "membership_role": "member"}
    )
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many attempts. Try again in 60 minutes." in response.content.decode()
    assert Invitation.objects.count() == 2


def test_invitation_limit_per_address_spans_accounts(
    as_manager, other_manager, company, invite_limits
):
    for n in range(2):
        as_manager.post(
            f"/manager/clients/{company.pk}/invite",
            {"email": f"a{n}@example.com", "membership_role": "member"},
        )
    second = logged_in(other_manager)
    second.post(
        f"/manager/clients/{company.pk}/invite",
        {"email": "b0@example.com", "membership_role": "member"},
    )
    second.post(
        f"/manager/clients/{company.pk}/invite",
        {"email": "b1@example.com", "membership_role": "member"},
    )
    assert Invitation.objects.count() == 3

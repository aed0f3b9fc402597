from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from kabinet.accounts.models import Invitation, Membership, MembershipRole, User
from kabinet.audit.models import AuditEntry
from kabinet.conftest import english_client

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Sunny-Harbour-77"


def invite_link() -> str:
    match = re.search(r"http://[^\s]+/invite/([\w-]+)/", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return f"/invite/{match.group(1)}/"


def accept(client, link: str, **overrides):
    data = {
        "first_name": "Анна",
        "last_name": "Новикова",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    }
    data.update(overrides)
    return client.post(link, data)


def test_manager_invites_and_the_link_creates_a_company_user(as_manager, client, company):
    response = as_manager.post(
        f"/manager/clients/{company.pk}/invite",
        {"email": "New.Person@baltlog.example", "membership_role": MembershipRole.MEMBER},
    )
    assert response.status_code == 302
    assert mail.outbox[-1].to == ["new.person@baltlog.example"]
    link = invite_link()
    assert client.get(link).status_code == 200
    response = accept(client, link)
    assert response["Location"] == "/cabinet/"
    user = User.objects.get(email="new.person@baltlog.example")
    assert user.membership.client == company
    assert user.membership.role == MembershipRole.MEMBER
    assert client.get("/cabinet/").status_code == 200
    assert AuditEntry.objects.filter(action="invitation.accept").count() == 1


def test_invitation_link_cannot_be_used_twice(as_manager, client, company):
    as_manager.post(
        f"/manager/clients/{company.pk}/invite",
        {"email": "x@baltlog.example", "membership_role": "member"},
    )
    link = invite_link()
    accept(client, link)
    other = english_client()
    response = other.get(link)
    assert response.status_code == 410
    assert "already been used" in response.content.decode()
    response = accept(other, link, first_name="Злоумышленник")
    assert response.status_code == 410
    assert User.objects.filter(email="x@baltlog.example").count() == 1
    assert User.objects.get(email="x@baltlog.example").first_name == "Анна"


def test_expired_invitation_is_refused(as_manager, client, company):
    as_manager.post(
        f"/manager/clients/{company.pk}/invite",
        {"email": "late@baltlog.example", "membership_role": "member"},
    )
    link = invite_link()
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    response = accept(client, link)
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert not User.objects.filter(email="late@baltlog.example").exists()


def test_unknown_invitation_token_is_refused(client):
    response = client.get("/invite/not-a-real-token/")
    assert response.status_code == 410


def test_weak_password_is_refused_and_nothing_created(as_manager, client, company):
    as_manager.post(
        f"/manager/clients/{company.pk}/invite",
        {"email": "weak@baltlog.example", "membership_role": "member"},
    )
    link = invite_link()
    response = accept(client, link, password1="12345", password2="12345")
    assert response.status_code == 200
    assert not User.objects.filter(email="weak@baltlog.example").exists()
    assert Invitation.objects.get().accepted_at is None


def test_existing_account_cannot_be_invited_to_another_company(
    as_manager, other_company, client_user
):
    response = as_manager.post(
        f"/manager/clients/{other_company.pk}/invite",
        {"email": client_user.email, "membership_role": "member"},
        follow=True,
    )
    assert "already has an account" in response.content.decode()
    assert not Invitation.objects.exists()
    assert client_user.membership.client != other_company


def test_company_admin_invites_colleague_from_cabinet(as_client, company):
    response = as_client.post(
        "/cabinet/company/", {"email": "colleague@baltlog.example", "membership_role": "member"}
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.client == company


def test_ordinary_employee_cannot_invite(colleague, company):
    from kabinet.conftest import logged_in

    response = logged_in(colleague).post(
        "/cabinet/company/", {"email": "friend@baltlog.example", "membership_role": "admin"}
    )
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_newer_invitation_replaces_older(as_manager, client, company):
    for _ in range(2):
        as_manager.post(
            f"/manager/clients/{company.pk}/invite",
            {"email": "twice@baltlog.example", "membership_role": "member"},
        )
    first_link = re.search(r"/invite/[\w-]+/", mail.outbox[0].body).group(0)
    assert client.get(first_link).status_code == 410
    assert client.get(invite_link()).status_code == 200


def test_closed_client_cannot_get_invitations(as_manager, make_client):
    closed = make_client(status="closed")
    as_manager.post(
        f"/manager/clients/{closed.pk}/invite",
        {"email": "n@closed.example", "membership_role": "member"},
    )
    assert not Invitation.objects.exists()


def test_company_admin_blocks_and_unblocks_colleague(as_client, colleague):
    membership = Membership.objects.get(user=colleague)
    as_client.post(f"/cabinet/company/users/{membership.pk}/block/", {"active": "0"})
    colleague.refresh_from_db()
    assert colleague.is_active is False
    as_client.post(f"/cabinet/company/users/{membership.pk}/block/", {"active": "1"})
    colleague.refresh_from_db()
    assert colleague.is_active is True
    assert AuditEntry.objects.filter(action__in=["user.block", "user.unblock"]).count() == 2


def test_client_cannot_block_or_revoke_in_another_company(
    as_client, other_client_user, other_company, manager
):
    from kabinet.accounts.services import invitation_create

    membership = Membership.objects.get(user=other_client_user)
    assert (
        as_client.post(
            f"/cabinet/company/users/{membership.pk}/block/", {"active": "0"}
        ).status_code
        == 404
    )
    other_client_user.refresh_from_db()
    assert other_client_user.is_active
    invitation, _token = invitation_create(
        actor=manager, client=other_company, email="z@nevtex.example"
    )
    assert (
        as_client.post(f"/cabinet/company/invitations/{invitation.pk}/revoke/").status_code == 404
    )
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_company_page_lists_only_own_users(as_client, other_client_user, colleague):
    body = as_client.get("/cabinet/company/").content.decode()
    assert colleague.email in body
    assert other_client_user.email not in body

from __future__ import annotations

import logging
import secrets
import smtplib
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kabinet.audit.services import audit_record, audit_snapshot
from kabinet.core.ratelimit import (
    Limit,
    ratelimit_enforce,
    ratelimit_hit,
    ratelimit_reset,
    ratelimit_retry_after,
)
from kabinet.core.security import client_address
from kabinet.notifications.models import Category
from kabinet.notifications.services import notification_send

from .events import client_changed
from .models import (
    Client,
    ClientStatus,
    Invitation,
    Membership,
    MembershipRole,
    Role,
    User,
    hash_token,
)
from .selectors import company_users

logger = logging.getLogger(__name__)

CLIENT_AUDIT_FIELDS = (
    "contract_number",
    "name",
    "inn",
    "kpp",
    "legal_address",
    "postal_address",
    "contact_person",
    "contact_phone",
    "contact_email",
    "status",
    "manager",
    "note",
)

# Wagtail reaches editors and managers through these groups.
ROLE_GROUPS = {Role.EDITOR: "Editors", Role.MANAGER: "Managers", Role.ADMIN: "Administrators"}


def user_sync_role_groups(*, user: User) -> None:
    """Put a staff user into the Wagtail group of their role (and out of the others)."""
    wanted = ROLE_GROUPS.get(Role(user.role))
    groups = Group.objects.filter(name__in=ROLE_GROUPS.values())
    user.groups.remove(*[g for g in groups if g.name != wanted])
    if wanted:
        group, _created = Group.objects.get_or_create(name=wanted)
        user.groups.add(group)
    is_staff = user.role in (Role.ADMIN,)
    if user.is_staff != is_staff or user.is_superuser != (user.role == Role.ADMIN):
        user.is_staff = is_staff
        user.is_superuser = user.role == Role.ADMIN
        user.save(update_fields=["is_staff", "is_superuser"])


# --- Clients ---------------------------------------------------------------------------


def client_create(
    *, actor: User, data: dict[str, Any], request: HttpRequest | None = None
) -> Client:
    with transaction.atomic():
        client = Client(**data)
        client.full_clean()
        client.save()
        client_changed.send(sender=Client, client=client, before=None)
        audit_record(
            actor=actor,
            action="client.create",
            obj=client,
            after=audit_snapshot(client, CLIENT_AUDIT_FIELDS),
            request=request,
        )
    return client


def client_update(
    *, actor: User, client: Client, data: dict[str, Any], request: HttpRequest | None = None
) -> Client:
    with transaction.atomic():
        client = Client.objects.select_for_update().get(pk=client.pk)
        before = audit_snapshot(client, CLIENT_AUDIT_FIELDS)
        if "status" in data and data["status"] != client.status:
            raise ValidationError(_("Change the status with the suspend, resume or close actions."))
        for field, value in data.items():
            setattr(client, field, value)
        client.full_clean()
        client.save()
        after = audit_snapshot(client, CLIENT_AUDIT_FIELDS)
        client_changed.send(sender=Client, client=client, before=before)
        if before != after:
            audit_record(
                actor=actor,
                action="client.update",
                obj=client,
                before=before,
                after=after,
                request=request,
            )
    return client


_ALLOWED_STATUS_MOVES = {
    ClientStatus.ACTIVE: {ClientStatus.SUSPENDED, ClientStatus.CLOSED},
    ClientStatus.SUSPENDED: {ClientStatus.ACTIVE, ClientStatus.CLOSED},
    ClientStatus.CLOSED: set(),
}


def client_set_status(
    *,
    actor: User | None,
    client: Client,
    status: str,
    reason: str = "",
    request: HttpRequest | None = None,
) -> Client:
    """Suspend, resume or close a client. A closed client is never reopened or deleted.

    ``actor`` None is the system (billing's ``client.status`` records), audited as "system".
    """
    new = ClientStatus(status)
    with transaction.atomic():
        client = Client.objects.select_for_update().get(pk=client.pk)
        old = ClientStatus(client.status)
        if new not in _ALLOWED_STATUS_MOVES[old]:
            raise ValidationError(
                _("A client in status “%(old)s” cannot become “%(new)s”.")
                % {"old": old.label, "new": new.label}
            )
        client.status = new
        client.status_changed_at = timezone.now()
        client.save(update_fields=["status", "status_changed_at", "updated_at"])
        client_changed.send(sender=Client, client=client, before=None)
        audit_record(
            actor=actor,
            action=f"client.{new.value}",
            obj=client,
            before={"status": old.value},
            after={"status": new.value},
            comment=reason,
            request=request,
        )
        titles = {
            ClientStatus.ACTIVE: gettext_lazy("Your contract %(contract)s is active again"),
            ClientStatus.SUSPENDED: gettext_lazy("Your contract %(contract)s is suspended"),
            ClientStatus.CLOSED: gettext_lazy("Your contract %(contract)s is closed"),
        }
        notification_send(
            users=company_users(client),
            category=Category.SYSTEM,
            title=titles[new],
            body=reason,
            params={"contract": client.contract_number},
            url=reverse("cabinet:home"),
        )
    return client


# --- Invitations -------------------------------------------------------------------------


def invitation_create(
    *,
    actor: User,
    client: Client,
    email: str,
    membership_role: str = MembershipRole.MEMBER,
    request: HttpRequest | None = None,
) -> tuple[Invitation, str]:
    """Invite a person to a company; returns the invitation and the raw token for the link."""
    email = email.strip().lower()
    if actor.is_client_user:
        membership = getattr(actor, "membership", None)
        if membership is None or membership.client_id != client.pk or not membership.is_admin:
            raise PermissionDenied
    # Counted before the checks below: their answers tell whether an e-mail is registered.
    ratelimit_enforce(request, "invitation_throttled", *_invitation_limits(actor, request))
    if client.is_closed:
        raise ValidationError(_("Nobody can be invited to a closed contract."))
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(
            _("This e-mail already has an account. One login belongs to one company.")
        )
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        # A newer invitation replaces an older pending one for the same address.
        Invitation.objects.filter(
            client=client, email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        invitation = Invitation.objects.create(
            email=email,
            client=client,
            membership_role=membership_role,
            token_hash=hash_token(token),
            invited_by=actor,
            expires_at=timezone.now() + timedelta(days=settings.KABINET_INVITATION_DAYS),
        )
        audit_record(
            actor=actor,
            action="invitation.create",
            obj=invitation,
            after={"email": email, "client": client.contract_number, "role": membership_role},
            request=request,
        )
        link = settings.SITE_URL + reverse("invitation_accept", args=[token])
        language = translation.get_language() or settings.LANGUAGE_CODE
        # Sent before the commit, not queued: the raw token lives only in this link, so the
        # mail cannot be retried later. When the mail server fails, nothing is kept and the
        # inviter is told to try again.
        try:
            _send_invitation_email(invitation.pk, link, language)
        except (OSError, smtplib.SMTPException) as exc:
            logger.warning("invitation e-mail to %s failed: %s", email, exc)
            raise ValidationError(
                _(
                    "The invitation e-mail could not be sent: the mail server is not "
                    "answering. Nothing was saved; try again in a few minutes."
                )
            ) from exc
    return invitation, token


def _invitation_limits(actor: User, request: HttpRequest | None) -> list[Limit]:
    window = settings.KABINET_INVITATION_WINDOW_SECONDS
    limits = [
        Limit(f"invite:account:{actor.pk}", settings.KABINET_INVITATION_MAX_PER_ACCOUNT, window)
    ]
    if request is not None:
        limits.append(
            Limit(
                f"invite:address:{client_address(request)}",
                settings.KABINET_INVITATION_MAX_PER_ADDRESS,
                window,
            )
        )
    return limits


def _send_invitation_email(invitation_id: int, link: str, language: str) -> None:
    invitation = Invitation.objects.select_related("client", "invited_by").get(pk=invitation_id)
    with translation.override(language):
        context = {
            "invitation": invitation,
            "link": link,
            "operator_name": settings.KABINET_OPERATOR_NAME,
            "days": settings.KABINET_INVITATION_DAYS,
        }
        subject = _("Invitation to the %(operator)s client cabinet") % {
            "operator": settings.KABINET_OPERATOR_NAME
        }
        body = render_to_string("accounts/email/invitation.txt", context)
    send_mail(subject, body, None, [invitation.email])


class InvitationError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def invitation_get_valid(*, token: str) -> Invitation:
    invitation = (
        Invitation.objects.select_related("client").filter(token_hash=hash_token(token)).first()
    )
    if invitation is None:
        raise InvitationError("unknown", _("This invitation link is not valid."))
    if invitation.accepted_at:
        raise InvitationError(
            "used",
            _("This invitation has already been used. Sign in with your e-mail and password."),
        )
    if invitation.revoked_at:
        raise InvitationError(
            "revoked", _("This invitation was replaced or withdrawn. Ask for a new one.")
        )
    if invitation.is_expired:
        raise InvitationError(
            "expired",
            _(
                "This invitation has expired. "
                "Ask your company administrator or manager for a new one."
            ),
        )
    if invitation.client.is_closed:
        raise InvitationError("closed", _("The contract of this invitation is closed."))
    return invitation


def invitation_accept(
    *, token: str, first_name: str, last_name: str, password: str, language: str
) -> User:
    with transaction.atomic():
        invitation = invitation_get_valid(token=token)
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at:
            raise InvitationError("used", _("This invitation has already been used."))
        if User.objects.filter(email__iexact=invitation.email).exists():
            raise InvitationError(
                "exists", _("An account with this e-mail already exists. Sign in instead.")
            )
        user = User.objects.create_user(
            email=invitation.email,
            password=password,
            first_name=first_name,
            last_name=last_name,
            role=Role.CLIENT,
            language=language,
        )
        Membership.objects.create(
            user=user, client=invitation.client, role=invitation.membership_role
        )
        invitation.accepted_at = timezone.now()
        invitation.accepted_user = user
        invitation.save(update_fields=["accepted_at", "accepted_user"])
        audit_record(
            actor=user,
            action="invitation.accept",
            obj=invitation,
            after={"user": user.email, "client": invitation.client.contract_number},
        )
    return user


def invitation_revoke(
    *, actor: User, invitation: Invitation, request: HttpRequest | None = None
) -> None:
    with transaction.atomic():
        if invitation.accepted_at or invitation.revoked_at:
            return
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="invitation.revoke", obj=invitation, request=request)


def membership_set_active(
    *, actor: User, membership: Membership, active: bool, request: HttpRequest | None = None
) -> None:
    """Block or unblock a colleague's login (users are never deleted: they carry history)."""
    if membership.user_id == actor.pk:
        raise ValidationError(_("You cannot block your own login."))
    with transaction.atomic():
        user = membership.user
        before = {"is_active": user.is_active}
        user.is_active = active
        user.save(update_fields=["is_active"])
        audit_record(
            actor=actor,
            action="user.unblock" if active else "user.block",
            obj=user,
            before=before,
            after={"is_active": active},
            request=request,
        )


# --- Login throttling ---------------------------------------------------------------------


def _login_limits(email: str, address: str) -> list[Limit]:
    window = settings.KABINET_LOGIN_WINDOW_SECONDS
    return [
        Limit(
            f"login:account:{email.strip().lower()}", settings.KABINET_LOGIN_MAX_PER_ACCOUNT, window
        ),
        Limit(f"login:address:{address}", settings.KABINET_LOGIN_MAX_PER_ADDRESS, window),
    ]


def login_retry_after(*, email: str, address: str) -> int:
    return max(ratelimit_retry_after(limit) for limit in _login_limits(email, address))


def login_failed(*, email: str, address: str) -> None:
    for limit in _login_limits(email, address):
        ratelimit_hit(limit)


def login_succeeded(*, email: str, address: str) -> None:
    ratelimit_reset(_login_limits(email, address)[0])


# --- Password reset limits ----------------------------------------------------------------


def password_reset_allow(*, email: str, request: HttpRequest) -> None:
    """Count one reset request; raises RateLimited when the address or the e-mail has had
    enough for now."""
    window = settings.KABINET_PASSWORD_RESET_WINDOW_SECONDS
    ratelimit_enforce(
        request,
        "password_reset_throttled",
        Limit(
            f"reset:address:{client_address(request)}",
            settings.KABINET_PASSWORD_RESET_MAX_PER_ADDRESS,
            window,
        ),
        Limit(
            f"reset:email:{email.strip().lower()}",
            settings.KABINET_PASSWORD_RESET_MAX_PER_EMAIL,
            window,
        ),
        account=email.strip().lower(),
    )

"""Who belongs to a client company: read by every app that acts for a company or tells it."""

from __future__ import annotations

from django.db.models import QuerySet

from kabinet.lib.prepared import prepared

from .models import Client, Membership, MembershipRole, User


def is_company_admin(user: User, client: Client) -> bool:
    """Whether ``user`` is an active administrator of ``client`` (not merely an employee)."""
    return Membership.objects.filter(
        user=user, client=client, role=MembershipRole.ADMIN, user__is_active=True
    ).exists()


@prepared
def _company_users(client_id: int) -> QuerySet[User]:
    return User.objects.filter(membership__client_id=client_id, is_active=True)


def company_users(client: Client) -> list[User]:
    """The company's active users: who hears of what happens to its contract (compiled
    once: every payment tells them)."""
    return _company_users.models(client_id=client.pk)

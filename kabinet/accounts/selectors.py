"""Who belongs to a client company: read by every app that acts for a company or tells it."""

from __future__ import annotations

from .models import Client, Membership, MembershipRole, User


def is_company_admin(user: User, client: Client) -> bool:
    """Whether ``user`` is an active administrator of ``client`` (not merely an employee)."""
    return Membership.objects.filter(
        user=user, client=client, role=MembershipRole.ADMIN, user__is_active=True
    ).exists()


def company_users(client: Client) -> list[User]:
    """The company's active users: who hears of what happens to its contract."""
    return list(User.objects.filter(membership__client=client, is_active=True))

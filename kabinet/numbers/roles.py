"""Call labelling's share of the staff roles (run by accounts' ``roles_setup``)."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission


def editor_permissions(groups: dict[str, Group]) -> None:
    """Editors publish new versions of the consent text (and read the old ones)."""
    permissions = Permission.objects.filter(
        content_type__app_label="numbers", codename__in=["add_consenttext", "view_consenttext"]
    )
    groups["Editors"].permissions.add(*permissions)

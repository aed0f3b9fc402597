"""The site's share of the staff roles (run by accounts' ``roles_setup``)."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

from .models import NewsIndexPage, ServiceIndexPage


def page_permissions(groups: dict[str, Group]) -> None:
    """Editors edit the whole site; managers only the service pages and the news."""
    from wagtail.models import GroupPagePermission, Page

    root = Page.get_first_root_node()
    if root is None:
        return
    codenames = ("add_page", "change_page", "publish_page", "lock_page", "unlock_page")
    permissions = [
        Permission.objects.get(content_type__app_label="wagtailcore", codename=codename)
        for codename in codenames
    ]
    for permission in permissions:
        GroupPagePermission.objects.get_or_create(
            group=groups["Editors"], page=root, permission=permission
        )
    # Managers edit the service pages' descriptions and the news, nothing else of the site.
    sections = [*ServiceIndexPage.objects.all(), *NewsIndexPage.objects.all()]
    for section in sections:
        for permission in permissions:
            GroupPagePermission.objects.get_or_create(
                group=groups["Managers"], page=section, permission=permission
            )

"""The Wagtail groups behind the staff roles, created by ``setup_roles`` and ``seed_demo``."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.utils.module_loading import import_string

from kabinet.core.appconfig import contributions

from .services import ROLE_GROUPS

# Wagtail's own permissions that each staff group needs in the editor cabinet.
GROUP_PERMISSIONS = {
    "Editors": [
        ("wagtailadmin", "access_admin"),
        # The header and footer menus are snippets.
        ("cms", "add_menu"),
        ("cms", "change_menu"),
        ("cms", "delete_menu"),
        ("wagtailimages", "add_image"),
        ("wagtailimages", "change_image"),
        ("wagtailimages", "choose_image"),
        ("wagtaildocs", "add_document"),
        ("wagtaildocs", "change_document"),
        ("wagtaildocs", "choose_document"),
        ("wagtailredirects", "add_redirect"),
        ("wagtailredirects", "change_redirect"),
        ("wagtailredirects", "delete_redirect"),
    ],
    "Managers": [
        ("wagtailadmin", "access_admin"),
        ("wagtailimages", "add_image"),
        ("wagtailimages", "choose_image"),
        ("wagtaildocs", "choose_document"),
    ],
    "Administrators": [("wagtailadmin", "access_admin")],
}


def roles_setup() -> dict[str, Group]:
    """Create the staff groups with their permissions; safe to run any number of times."""
    groups = {}
    for name in ROLE_GROUPS.values():
        group, _created = Group.objects.get_or_create(name=name)
        perms = [
            Permission.objects.get(content_type__app_label=app, codename=codename)
            for app, codename in GROUP_PERMISSIONS.get(name, [])
        ]
        group.permissions.add(*perms)
        groups[name] = group
    _collection_permissions(groups)
    # Each app's share (``roles_setup`` on its config): the site's page permissions are cms's.
    for _config, dotted in contributions("roles_setup"):
        if dotted:
            import_string(str(dotted))(groups)
    return groups


def _collection_permissions(groups: dict[str, Group]) -> None:
    from wagtail.models import Collection, GroupCollectionPermission

    root = Collection.get_first_root_node()
    if root is None:
        root = Collection.add_root(name="Root")
    for group_name, codenames in {
        "Editors": [
            ("wagtailimages", "add_image"),
            ("wagtailimages", "change_image"),
            ("wagtailimages", "choose_image"),
            ("wagtaildocs", "add_document"),
            ("wagtaildocs", "change_document"),
            ("wagtaildocs", "choose_document"),
        ],
        "Managers": [("wagtailimages", "add_image"), ("wagtailimages", "choose_image")],
    }.items():
        for app, codename in codenames:
            permission = Permission.objects.get(content_type__app_label=app, codename=codename)
            GroupCollectionPermission.objects.get_or_create(
                group=groups[group_name], collection=root, permission=permission
            )

"""The editor cabinet's consent-text screen: its menu item (for those allowed) and URL."""

from __future__ import annotations

from typing import Any

from django.urls import path, reverse_lazy
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import views_editor


class ConsentMenuItem(MenuItem):
    def is_shown(self, request: Any) -> bool:
        return bool(request.user.has_perm(views_editor.PUBLISH_CONSENT))


@hooks.register("register_admin_urls")
def consent_urls() -> list[Any]:
    return [
        path(
            "call-labelling-consent/",
            views_editor.consent_texts,
            name="numbers_consent_texts",
        )
    ]


@hooks.register("register_admin_menu_item")
def consent_menu_item() -> MenuItem:
    return ConsentMenuItem(
        _("Call-labelling consent"),
        reverse_lazy("numbers_consent_texts"),
        name="call-labelling-consent",
        icon_name="doc-full",
        order=900,
    )

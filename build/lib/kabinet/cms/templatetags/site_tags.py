from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language
from wagtail.models import Locale

from kabinet.cms.models import Menu

register = template.Library()


@register.simple_tag
def site_menu(location: str) -> list[Any]:
    """The menu's links in the active language (falling back to the default language)."""
    language = (get_language() or "ru")[:2]
    menus = (
        Menu.objects.filter(location=location)
        .select_related("locale")
        .prefetch_related("items__page")
    )
    chosen = None
    for menu in menus:
        if menu.locale.language_code == language:
            chosen = menu
            break
        if menu.locale.language_code == Locale.get_default().language_code:
            chosen = chosen or menu
    return list(chosen.items.all()) if chosen else []

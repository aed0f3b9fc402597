from __future__ import annotations

from django.utils.translation import get_language
from wagtail.models import Locale

from .models import HelpArticlePage, HelpIndexPage


def help_index(cabinet: str) -> HelpIndexPage | None:
    """The cabinet's help in the active language, else in the default one."""
    language = (get_language() or "ru")[:2]
    indexes = {
        index.locale.language_code: index
        for index in HelpIndexPage.objects.live().filter(cabinet=cabinet).select_related("locale")
    }
    return indexes.get(language) or indexes.get(Locale.get_default().language_code)


def help_articles(index: HelpIndexPage) -> list[HelpArticlePage]:
    return list(HelpArticlePage.objects.live().child_of(index).order_by("path"))


def article_for_screen(index: HelpIndexPage, screen: str) -> HelpArticlePage | None:
    """The article listing ``screen``; ``prefix*`` lines match by prefix, longest wins."""
    best: tuple[int, HelpArticlePage] | None = None
    for article in help_articles(index):
        for name in article.screen_names:
            if name == screen:
                return article
            if name.endswith("*") and screen.startswith(name[:-1]):
                weight = len(name)
                if best is None or weight > best[0]:
                    best = (weight, article)
    return best[1] if best else None

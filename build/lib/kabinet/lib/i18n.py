"""Content kept in both languages (names, labels): the Russian field and an ``_en`` twin."""

from __future__ import annotations

from django.utils.translation import get_language


def pick(ru: str, en: str) -> str:
    """The English text when English is active and it exists, else the Russian."""
    language = (get_language() or "ru")[:2]
    return en if language == "en" and en else ru

"""A short, human name for a browser's User-Agent ("Chrome 126, Windows")."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

# Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari".
_BROWSERS = [
    ("Yandex Browser", r"YaBrowser/(\d+)"),
    ("Edge", r"Edg(?:e|A|iOS)?/(\d+)"),
    ("Opera", r"(?:OPR|Opera)/(\d+)"),
    ("Firefox", r"(?:Firefox|FxiOS)/(\d+)"),
    ("Chrome", r"(?:Chrome|CriOS)/(\d+)"),
    ("Safari", r"Version/(\d+).*Safari/"),
]
_SYSTEMS = [
    ("Android", r"Android"),
    ("iPhone", r"iPhone"),
    ("iPad", r"iPad"),
    ("Windows", r"Windows"),
    ("macOS", r"Mac OS X|Macintosh"),
    ("ChromeOS", r"CrOS"),
    ("Linux", r"Linux"),
]


def device_label(user_agent: str) -> str:
    if not user_agent:
        return _("Unknown device")
    browser = next(
        (
            f"{name} {match.group(1)}"
            for name, pattern in _BROWSERS
            if (match := re.search(pattern, user_agent))
        ),
        "",
    )
    system = next((name for name, pattern in _SYSTEMS if re.search(pattern, user_agent)), "")
    label = ", ".join(part for part in (browser, system) if part)
    return label or user_agent[:60]

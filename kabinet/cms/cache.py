"""Public pages are cached for anonymous visitors; any publish or price change bumps a
version number that is part of every key, so a change is visible at once on every server."""

from __future__ import annotations

from django.core.cache import cache

VERSION_KEY = "public-pages:version"


def public_cache_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, 1, timeout=None)
        version = cache.get(VERSION_KEY) or 1
    return int(version)


def public_cache_bump(*args: object, **kwargs: object) -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, 2, timeout=None)

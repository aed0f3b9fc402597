"""Public pages are cached for anonymous visitors; any publish or price change bumps a
version number stored with every cached page, so a change is visible at once on every
server (a page of an older version is a miss)."""

from __future__ import annotations

import functools
import logging
import re
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.urls import URLResolver, get_resolver
from django.utils import translation

logger = logging.getLogger(__name__)

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


def page_cache_key(request: HttpRequest, language: str | None) -> str:
    return f"page:{language}:{request.get_host()}:{request.path}"


def page_cache_lookup(key: str) -> tuple[HttpResponse | None, Any]:
    """The cached page under ``key`` if it is of the current version, and that version.

    One round trip: the version and the page come back together; a page stored under an
    older version (before a publish or a price change) is a miss.
    """
    found = cache.get_many([VERSION_KEY, key])
    version = found.get(VERSION_KEY) or public_cache_version()
    hit = found.get(key)
    if hit is None or hit[0] != version:
        return None, version
    _version, body, content_type = hit
    response = HttpResponse(body, content_type=content_type)
    response["X-Cache"] = "hit"
    return response, version


class PublicPageCacheMiddleware:
    """Serves a cached public page to an anonymous visitor before the rest of the stack.

    The page cache is filled only by the CMS's serve view (cms.views.serve), for anonymous
    GETs without a query string; a hit here is exactly what that view would answer, without
    sessions, CSRF, authentication and messages around it. Placed after the security and
    Content-Security-Policy middleware, so their headers are still added.
    """

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.method == "GET"
            and not request.META.get("QUERY_STRING")
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
            and _is_cms_page(request.path_info)
        ):
            language = translation.get_language_from_request(request)
            try:
                response, _version = page_cache_lookup(page_cache_key(request, language))
            except Exception:  # the cache is down: the page is served the slow way
                logger.warning("page cache unavailable", exc_info=True)
                response = None
            if response is not None:
                response["Content-Language"] = language
                response["Vary"] = "Accept-Language, Cookie"
                return response
        return self.get_response(request)


_PAGE_PATH = re.compile(r"/(?:[\w\-]+/)*")


@functools.cache
def _app_prefixes() -> tuple[str, ...]:
    """The literal beginnings of every route that is not the CMS's catch-all (login/, pay/,
    cabinet/, …), read once from the URLconf so a new app route is never looked up."""
    prefixes: set[str] = set()

    def walk(patterns: list[Any], base: str) -> None:
        for entry in patterns:
            route = str(entry.pattern)
            if getattr(entry, "name", None) == "wagtail_serve":
                continue
            literal = re.split(r"[<^$(\[?*+\\]", route, maxsplit=1)[0]
            if isinstance(entry, URLResolver) and not literal:
                walk(entry.url_patterns, base)
            elif literal or base:
                prefixes.add("/" + base + literal)

    walk(get_resolver().url_patterns, "")
    return tuple(sorted(prefixes))


def _is_cms_page(path: str) -> bool:
    """Only what the CMS's serve view answers can be in the page cache."""
    return _PAGE_PATH.fullmatch(path) is not None and not path.startswith(_app_prefixes())

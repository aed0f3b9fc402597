"""Public pages are cached for anonymous visitors; any publish or price change bumps a
version number stored with every cached page, so a change is visible at once on every
server (a page of an older version is a miss).

The CMS's pages are cached by its serve view; any other public view opts in with
``@public_page`` (``/tariffs/``). The key carries the local date, so prices that come into
force at midnight are never served from yesterday's page.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.urls import URLResolver, get_resolver
from django.utils import timezone, translation

logger = logging.getLogger(__name__)

VERSION_KEY = "public-pages:version"
CACHE_SECONDS = 600


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
    return f"page:{language}:{request.get_host()}:{request.path}:{timezone.localdate():%Y%m%d}"


def cacheable(request: HttpRequest) -> bool:
    """An anonymous GET without a query string or a session: the same page for everyone."""
    return (
        request.method == "GET"
        and not request.GET
        and not request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        and not request.user.is_authenticated
    )


def cached_response(
    request: HttpRequest, view: Callable[[], HttpResponse], seconds: int = CACHE_SECONDS
) -> HttpResponse:
    """The shared cached page for ``request``, or ``view()``'s answer, stored when cacheable."""
    if not cacheable(request):
        return view()
    key = page_cache_key(request, translation.get_language())
    response, version = page_cache_lookup(key)
    if response is not None:
        return response
    response = view()
    if response.status_code == 200 and not response.cookies:
        if hasattr(response, "render"):
            response.render()
        cache.set(key, (version, response.content, response["Content-Type"]), seconds)
    response["X-Cache"] = "miss"
    return response


def public_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A public view whose page is the same for every anonymous visitor: cached like the CMS's
    pages, answered by the middleware before sessions and CSRF, dropped on any content or
    price change. The view must not depend on the query string or the visitor."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return cached_response(request, lambda: view(request, *args, **kwargs))

    wrapper.public_page_cache = True  # type: ignore[attr-defined]
    return wrapper


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

    The page cache is filled only by the CMS's serve view (cms.views.serve) and views marked
    ``@public_page``, for anonymous GETs without a query string; a hit here is exactly what
    that view would answer, without
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
            and _is_public_page(request.path_info)
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
def _routes() -> tuple[tuple[str, ...], frozenset[str]]:
    """The literal beginnings of every route that is not the CMS's catch-all (login/, pay/,
    cabinet/, …), and the literal paths of ``@public_page`` views, read once from the
    URLconf so a request is never resolved to find out."""
    prefixes: set[str] = set()
    public: set[str] = set()

    def walk(patterns: list[Any], base: str) -> None:
        for entry in patterns:
            route = str(entry.pattern)
            if getattr(entry, "name", None) == "wagtail_serve":
                continue
            literal = re.split(r"[<^$(\[?*+\\]", route, maxsplit=1)[0]
            if isinstance(entry, URLResolver) and not literal:
                walk(entry.url_patterns, base)
            elif isinstance(entry, URLResolver):
                walk(entry.url_patterns, base + literal)
                prefixes.add("/" + base + literal)
            elif literal or base:
                prefixes.add("/" + base + literal)
                if literal == route and getattr(entry.callback, "public_page_cache", False):
                    public.add("/" + base + literal)

    walk(get_resolver().url_patterns, "")
    return tuple(sorted(prefixes)), frozenset(public)


def _is_public_page(path: str) -> bool:
    """Only what the CMS's serve view or a ``@public_page`` view answers can be cached."""
    prefixes, public = _routes()
    if path in public:
        return True
    return _PAGE_PATH.fullmatch(path) is not None and not path.startswith(prefixes)

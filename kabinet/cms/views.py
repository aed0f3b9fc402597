from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.http import require_GET
from wagtail.models import Page
from wagtail.views import serve as wagtail_serve

from kabinet.core.pagecache import cached_response
from kabinet.lib.search import search_words


def serve(request: HttpRequest, path: str) -> HttpResponse:
    """Wagtail's page view with a shared cache for anonymous visitors."""
    return cached_response(request, lambda: wagtail_serve(request, path))


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    words = search_words(query)
    results = []
    if words:
        results = list(Page.objects.live().public().specific().search(words)[:30])
        language = (get_language() or "ru")[:2]
        results = [p for p in results if p.locale.language_code == language]
    return render(request, "cms/search.html", {"query": query, "results": results})


@require_GET
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = [
        "User-agent: *",
        "Disallow: /cabinet/",
        "Disallow: /manager/",
        "Disallow: /editor/",
        "Disallow: /account/",
        "Disallow: /help/",
        "Disallow: /pay/status/",
        f"Sitemap: {settings.SITE_URL}/sitemap.xml",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")

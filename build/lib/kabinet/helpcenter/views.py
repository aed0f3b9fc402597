from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kabinet.lib.search import search_words

from .models import Cabinet, HelpArticlePage
from .selectors import article_for_screen, help_articles, help_index


def _index_or_404(cabinet: str):  # type: ignore[no-untyped-def]
    if cabinet not in Cabinet.values:
        raise Http404
    index = help_index(cabinet)
    if index is None:
        raise Http404
    return index


@require_GET
def help_home(request: HttpRequest) -> HttpResponse:
    """/help/ opens the help of the user's own cabinet."""
    if not request.user.is_authenticated:
        return redirect("/login/?next=/help/")
    role = getattr(request.user, "role", "")
    cabinet = {"client": "client", "editor": "editor"}.get(role, "manager")
    return redirect("help:index", cabinet=cabinet)


@require_GET
def help_contents(request: HttpRequest, cabinet: str) -> HttpResponse:
    index = _index_or_404(cabinet)
    return render(
        request,
        "helpcenter/index.html",
        {"index": index, "cabinet": cabinet, "articles": help_articles(index)},
    )


@require_GET
def help_article(request: HttpRequest, cabinet: str, slug: str) -> HttpResponse:
    index = _index_or_404(cabinet)
    articles = help_articles(index)
    position = next((i for i, a in enumerate(articles) if a.slug == slug), None)
    if position is None:
        raise Http404
    article = articles[position]
    see_also = [
        item.target.specific
        for item in article.see_also.select_related("target")
        if item.target.live
    ]
    return render(
        request,
        "helpcenter/article.html",
        {
            "index": index,
            "cabinet": cabinet,
            "article": article,
            "previous": articles[position - 1] if position > 0 else None,
            "next": articles[position + 1] if position + 1 < len(articles) else None,
            "see_also": [a for a in see_also if isinstance(a, HelpArticlePage)],
        },
    )


@require_GET
def help_screen(request: HttpRequest, cabinet: str, screen: str) -> HttpResponse:
    """The "?" link of a screen: the article for that screen's URL name."""
    index = _index_or_404(cabinet)
    article = article_for_screen(index, screen)
    if article is None:
        messages.info(
            request, _("There is no article about this screen yet; here is the contents.")
        )
        return redirect("help:index", cabinet=cabinet)
    return redirect("help:article", cabinet=cabinet, slug=article.slug)


@require_GET
def help_for_path(request: HttpRequest, cabinet: str) -> HttpResponse:
    """The editor cabinet's "?" link sends the admin page's path; it is resolved here."""
    path = request.GET.get("path", "")
    try:
        match = resolve(path) if path.startswith("/") else None
    except Resolver404:
        match = None
    screen = match.view_name if match else "index"
    return help_screen(request, cabinet, screen)


@require_GET
def help_search(request: HttpRequest, cabinet: str) -> HttpResponse:
    index = _index_or_404(cabinet)
    query = request.GET.get("q", "").strip()[:200]
    words = search_words(query)
    results: list[HelpArticlePage] = []
    if words:
        results = list(
            HelpArticlePage.objects.live().child_of(index).search(words, operator="and")[:30]
        )
    return render(
        request,
        "helpcenter/search.html",
        {"index": index, "cabinet": cabinet, "query": query, "results": results},
    )

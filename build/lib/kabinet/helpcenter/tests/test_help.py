from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from kabinet.conftest import logged_in
from kabinet.helpcenter.content import LANGUAGES, shipped_articles
from kabinet.helpcenter.models import HelpArticlePage
from kabinet.helpcenter.services import help_load


def url_names(namespace: str) -> list[str]:
    def walk(patterns, prefix=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, entry.namespace or prefix)
            elif isinstance(entry, URLPattern) and entry.name:
                yield f"{prefix}:{entry.name}" if prefix else entry.name

    return sorted(
        {name for name in walk(get_resolver().url_patterns) if name.startswith(namespace + ":")}
    )


# Which cabinet's help explains each namespace's screens.
NAMESPACES = {
    "cabinet": ["client"],
    "manager": ["manager"],
    "account": ["client", "manager"],
    "help": ["client", "manager", "editor"],
}


def covered(cabinet: str, language: str) -> set[str]:
    names: set[str] = set()
    for article in shipped_articles(cabinet, language):
        names.update(article.screens)
    return names


def is_covered(name: str, screens: set[str]) -> bool:
    return name in screens or any(
        s.endswith("*") and name.startswith(s[:-1]) for s in screens if s.startswith("help:")
    )


@pytest.mark.parametrize(
    ("namespace", "cabinet", "language"),
    [(ns, cab, lang) for ns, cabs in NAMESPACES.items() for cab in cabs for lang in LANGUAGES],
)
def test_every_screen_has_a_help_article_in_both_languages(namespace, cabinet, language):
    screens = covered(cabinet, language)
    missing = [name for name in url_names(namespace) if not is_covered(name, screens)]
    assert missing == []


def test_every_editor_cabinet_screen_has_an_article():
    from kabinet.helpcenter.selectors import article_for_screen  # noqa: F401 - same matching rule

    for language in LANGUAGES:
        screens = covered("editor", language)
        assert any(s == "wagtailadmin_home" for s in screens)
        assert "*" in screens or any(s.endswith("*") for s in screens)


def test_articles_exist_in_both_languages_with_the_same_slugs():
    for cabinet in ("client", "manager", "editor"):
        ru = {a.slug for a in shipped_articles(cabinet, "ru")}
        en = {a.slug for a in shipped_articles(cabinet, "en")}
        assert ru == en, cabinet
        assert ru, cabinet


@pytest.fixture
def loaded(db):
    help_load()


def test_loading_twice_adds_nothing_and_keeps_editors_changes(loaded, editor):
    article = HelpArticlePage.objects.get(slug="company-users", locale__language_code="ru")
    article.title = "Отредактировано редактором"
    article.save_revision(user=editor).publish()
    count = HelpArticlePage.objects.count()
    assert help_load() == {"indexes": 0, "articles": 0, "updated": 0}
    assert HelpArticlePage.objects.count() == count
    article.refresh_from_db()
    assert article.title == "Отредактировано редактором"


def test_a_corrected_shipped_article_reaches_installs_where_nobody_edited_it(
    loaded, editor, monkeypatch
):
    from kabinet.helpcenter import services

    original = services.shipped_articles
    edited = HelpArticlePage.objects.get(slug="company-users", locale__language_code="ru")
    edited.title = "Своя версия"
    edited.save_revision(user=editor).publish()

    def corrected(cabinet, language):
        texts = original(cabinet, language)
        for text in texts:
            if text.slug in ("overview", "company-users"):
                text.title = "Исправлено" if language == "ru" else "Corrected"
        return texts

    monkeypatch.setattr(services, "shipped_articles", corrected)
    revisions = {p.pk: p.revisions.count() for p in HelpArticlePage.objects.all()}
    result = help_load()
    # "overview" exists in every cabinet and language; company-users (ru) was edited.
    assert result["articles"] == 0
    assert (
        result["updated"]
        == len(HelpArticlePage.objects.filter(slug__in=["overview", "company-users"])) - 1
    )
    untouched = HelpArticlePage.objects.get(slug="company-users", locale__language_code="en")
    assert untouched.title == "Corrected"
    assert untouched.live_revision.user is None
    edited.refresh_from_db()
    assert edited.title == "Своя версия"
    others = HelpArticlePage.objects.exclude(slug__in=["overview", "company-users"])
    assert all(p.revisions.count() == revisions[p.pk] for p in others)


def test_question_mark_opens_the_article_for_the_screen(loaded, as_client):
    page = as_client.get("/cabinet/company/")
    assert 'href="/help/client/screen/cabinet:company/"' in page.content.decode()
    response = as_client.get("/help/client/screen/cabinet:company/", follow=True)
    assert response.redirect_chain[-1][0] == "/help/client/company-users/"
    assert "How to invite a colleague" in response.content.decode()


def test_search_finds_an_article_by_a_word_from_its_body(loaded, as_client):
    response = as_client.get("/help/client/search/?q=invitation")
    assert [a.slug for a in response.context["results"]] == ["company-users"]


def test_client_cannot_open_the_managers_help(loaded, as_client):
    assert as_client.get("/help/manager/").status_code == 403
    assert as_client.get("/help/editor/").status_code == 403


def test_managers_and_editors_read_every_help(loaded, manager, editor):
    for user in (manager, editor):
        http = logged_in(user)
        for cabinet in ("client", "manager", "editor"):
            assert http.get(f"/help/{cabinet}/").status_code == 200


def test_article_has_previous_next_and_see_also(loaded, as_client):
    response = as_client.get("/help/client/overview/")
    assert response.context["next"].slug == "company-users"
    assert response.context["previous"] is None
    assert [a.slug for a in response.context["see_also"]] == ["company-users"]


def test_help_follows_the_language(loaded, as_client):
    as_client.cookies["kabinet_language"] = "ru"
    assert "Как пригласить коллегу" in as_client.get("/help/client/company-users/").content.decode()


@pytest.mark.parametrize(
    "query", ['"', '"invitation', "invitation*", "NEAR(", "AND OR NOT", "-x", "^", "%", "\\"]
)
def test_help_search_with_query_syntax_answers_a_page(loaded, as_client, query):
    response = as_client.get("/help/client/search/", {"q": query})
    assert response.status_code == 200
    assert [a.slug for a in response.context["results"]] in ([], ["company-users"])


def test_help_search_reads_words_around_stray_quotes(loaded, as_client):
    response = as_client.get("/help/client/search/", {"q": '"invitation'})
    assert [a.slug for a in response.context["results"]] == ["company-users"]

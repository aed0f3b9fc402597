"""Loading the shipped help. It adds what is missing and brings the articles no person has
edited up to the shipped text; an editor's changes to an article are never overwritten."""

from __future__ import annotations

import json

from django.db import transaction
from wagtail.models import Locale, Page

from .content import INDEX_TITLES, LANGUAGES, ArticleText, shipped_articles
from .models import HelpArticlePage, HelpIndexPage, SeeAlso


def _publish(page: Page) -> None:
    page.save_revision().publish()


def _edited_by_a_person(article: HelpArticlePage) -> bool:
    # The loader saves revisions without a user; the editor cabinet always records one.
    return article.revisions.filter(user__isnull=False).exists()


def _differs(article: HelpArticlePage, text: ArticleText) -> bool:
    def canonical(blocks: list) -> str:
        # As stored: JSON, where tuples become lists.
        return json.dumps(blocks, sort_keys=True, ensure_ascii=False)

    # The shipped text as it would be stored (cleaned by the blocks, as JSON).
    field = HelpArticlePage._meta.get_field("body")
    shipped = field.stream_block.get_prep_value(field.to_python(text.body))  # type: ignore[attr-defined]
    stored = [[block["type"], block["value"]] for block in article.body.raw_data]
    return (
        article.title != text.title
        or article.summary != text.summary
        or article.screen_names != list(text.screens)
        or canonical(stored) != canonical([[block["type"], block["value"]] for block in shipped])
    )


def _refresh(article: HelpArticlePage, text: ArticleText) -> None:
    article.title = text.title
    article.summary = text.summary
    article.screens = "\n".join(text.screens)
    article.body = text.body
    article.save()


def help_load() -> dict[str, int]:
    """Create every shipped article that does not exist yet, and update those no person has
    edited when the shipped text changed; returns how many were added and updated."""
    added = {"indexes": 0, "articles": 0, "updated": 0}
    locales = {code: Locale.objects.get_or_create(language_code=code)[0] for code in LANGUAGES}
    root = Page.get_first_root_node()
    if root is None:
        root = Page.add_root(instance=Page(title="Root", slug="root", locale=locales["ru"]))
    with transaction.atomic():
        for cabinet, titles in INDEX_TITLES.items():
            index = HelpIndexPage.objects.filter(cabinet=cabinet, locale=locales["ru"]).first()
            if index is None:
                index = HelpIndexPage(
                    title=titles["ru"],
                    slug=f"help-{cabinet}",
                    cabinet=cabinet,
                    locale=locales["ru"],
                )
                root.add_child(instance=index)
                _publish(index)
                added["indexes"] += 1
            en_index = index.get_translation_or_none(locales["en"])
            if en_index is None:
                en_index = index.copy_for_translation(locales["en"])
                en_index.title = titles["en"]
                _publish(en_index)
                added["indexes"] += 1
            for language in LANGUAGES:
                parent = index if language == "ru" else en_index
                by_slug = {}
                for text in shipped_articles(cabinet, language):
                    article = (
                        HelpArticlePage.objects.child_of(parent).filter(slug=text.slug).first()
                    )
                    if article is None:
                        article = HelpArticlePage(
                            title=text.title,
                            slug=text.slug,
                            summary=text.summary,
                            screens="\n".join(text.screens),
                            body=text.body,
                            locale=locales[language],
                        )
                        if language == "en":
                            twin = (
                                HelpArticlePage.objects.child_of(index)
                                .filter(slug=text.slug)
                                .first()
                            )
                            if twin is not None:
                                article.translation_key = twin.translation_key
                        parent.add_child(instance=article)
                        by_slug[text.slug] = (article, text, True)
                        added["articles"] += 1
                    elif not _edited_by_a_person(article) and _differs(article, text):
                        _refresh(article, text)
                        by_slug[text.slug] = (article, text, True)
                        added["updated"] += 1
                    else:
                        by_slug[text.slug] = (article, text, False)
                for article, text, changed in by_slug.values():
                    if not changed:
                        continue
                    article.see_also.set(
                        [
                            SeeAlso(target=by_slug[slug][0], sort_order=order)
                            for order, slug in enumerate(text.see_also)
                            if slug in by_slug
                        ]
                    )
                    _publish(article)
    return added

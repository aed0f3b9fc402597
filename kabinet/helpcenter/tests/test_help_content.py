"""The shipped help is complete by a measurable standard, so a regression fails the suite.

- Every article says something: at least ``MIN_WORDS`` words of text in each language.
- Russian and English are the same article: the same screens and see-also, and the same
  number of headings, numbered steps and bullets.
- Every status a user meets is explained under the label the screen shows, in bold, in each
  language: payment, request, subscription, client and package statuses, request kinds and
  rule actions.
- Links between articles lead to articles that exist.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import models
from django.utils import translation

from kabinet.accounting.models import InvoiceStatus
from kabinet.accounts.models import ClientStatus
from kabinet.continuity.models import CreditStatus
from kabinet.exchange.models import PackageStatus
from kabinet.forecast.models import ThresholdKind
from kabinet.helpcenter.content import CONTENT_DIR, LANGUAGES, parse_article
from kabinet.notifications.models import DeliveryStatus
from kabinet.numbers.models import LabelStatus
from kabinet.payments.models import PaymentStatus, Provider
from kabinet.servicedesk.models import RequestKind, RequestStatus, RuleAction
from kabinet.subscriptions.models import SubscriptionStatus

CABINETS = ("client", "manager", "editor")
MIN_WORDS = 150


def body_of(path: Path) -> str:
    return path.read_text(encoding="utf-8").partition("\n---\n")[2]


def article_files() -> list[Path]:
    return sorted(CONTENT_DIR.glob("*/*.txt"))


def pairs() -> list[tuple[Path, Path]]:
    return [
        (ru, ru.with_name(ru.name.replace(".ru.txt", ".en.txt")))
        for ru in sorted(CONTENT_DIR.glob("*/*.ru.txt"))
    ]


def shape(path: Path) -> dict[str, int]:
    lines = body_of(path).splitlines()
    return {
        "headings": sum(line.startswith("## ") for line in lines),
        "steps": sum(bool(re.match(r"\d+\. ", line)) for line in lines),
        "bullets": sum(line.startswith("- ") for line in lines),
    }


@pytest.mark.parametrize("path", article_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_article_has_real_text(path):
    words = re.findall(r"\w+", body_of(path))
    assert len(words) >= MIN_WORDS


@pytest.mark.parametrize(("ru", "en"), pairs(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_russian_and_english_articles_have_the_same_shape(ru, en):
    assert en.exists()
    ru_text, en_text = parse_article(ru), parse_article(en)
    assert ru_text.screens == en_text.screens
    assert ru_text.see_also == en_text.see_also
    assert shape(ru) == shape(en)


# Which article explains each set of labels a user meets on screen.
STATUSES: list[tuple[str, str, type[models.TextChoices]]] = [
    ("client", "06-balance-payments", PaymentStatus),
    ("manager", "11-payments", PaymentStatus),
    ("manager", "16-payment-providers", Provider),
    ("client", "05-requests", RequestStatus),
    ("manager", "08-requests", RequestStatus),
    ("client", "05-requests", RequestKind),
    ("manager", "09-automation-rules", RuleAction),
    ("client", "03-services", SubscriptionStatus),
    ("manager", "07-subscriptions", SubscriptionStatus),
    ("manager", "03-client-status-and-users", ClientStatus),
    ("manager", "13-billing-exchange", PackageStatus),
    ("client", "13-invoices", InvoiceStatus),
    ("manager", "19-bank-transfers", InvoiceStatus),
    ("client", "15-forecast", ThresholdKind),
    ("manager", "20-sms-deliveries", DeliveryStatus),
    ("client", "17-promised-payment", CreditStatus),
    ("manager", "21-promised-payments", CreditStatus),
    ("client", "21-call-labelling", LabelStatus),
    ("manager", "22-call-labelling", LabelStatus),
]


@pytest.mark.parametrize(
    ("cabinet", "article", "choices", "language"),
    [(*entry, language) for entry in STATUSES for language in LANGUAGES],
    ids=lambda v: v.__name__ if isinstance(v, type) else str(v),
)
def test_every_status_is_explained_under_its_on_screen_label(cabinet, article, choices, language):
    text = body_of(CONTENT_DIR / cabinet / f"{article}.{language}.txt")
    with translation.override(language):
        labels = [str(label) for label in choices.labels]
    missing = [label for label in labels if f"**{label}**" not in text]
    assert missing == []


def test_links_between_articles_lead_to_articles_that_exist():
    slugs = {
        cabinet: {parse_article(p).slug for p in (CONTENT_DIR / cabinet).glob("*.txt")}
        for cabinet in CABINETS
    }
    broken = []
    for path in article_files():
        for cabinet, slug in re.findall(r"\]\(/help/(\w+)/([a-z0-9-]+)/\)", body_of(path)):
            if slug not in slugs.get(cabinet, set()):
                broken.append(f"{path.parent.name}/{path.name}: /help/{cabinet}/{slug}/")
        article = parse_article(path)
        broken += [
            f"{path.name}: see_also {s}"
            for s in article.see_also
            if s not in slugs[path.parent.name]
        ]
    assert broken == []

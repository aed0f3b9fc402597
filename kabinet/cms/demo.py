"""The demo public site, in Russian and English."""

from __future__ import annotations

from wagtail.models import Locale, Page, Site

from .models import HomePage, StandardPage

HOME = {
    "ru": {
        "title": "Телефония для бизнеса в Санкт-Петербурге",
        "lead": "Городские номера, междугородная и международная связь, виртуальная АТС. "
        "Подключим за один день, счёт и оплата — в личном кабинете.",
        "body": [
            ("heading", "Почему нас выбирают"),
            (
                "text",
                "<p>Мы работаем с 2004 года и обслуживаем более двух тысяч компаний Петербурга "
                "и Ленинградской области. Собственная сеть, резервированные каналы и "
                "круглосуточная поддержка.</p>",
            ),
            ("cta", {"text": "Оплатить без входа в кабинет", "url": "/pay/"}),
        ],
    },
    "en": {
        "title": "Business telephony in St Petersburg",
        "lead": "Local numbers, long-distance and international calls, a virtual PBX. "
        "Connected in a day; bills and payments in your online cabinet.",
        "body": [
            ("heading", "Why companies choose us"),
            (
                "text",
                "<p>Since 2004 we have served more than two thousand companies in St Petersburg "
                "and the Leningrad region: our own network, redundant links and support "
                "around the clock.</p>",
            ),
            ("cta", {"text": "Pay without signing in", "url": "/pay/"}),
        ],
    },
}

PAGES = {
    "about": {
        "ru": ("О компании", "<p>«СевЗапТелеком» — оператор связи для бизнеса.</p>"),
        "en": ("About us", "<p>SevZapTelecom is a telephone operator for businesses.</p>"),
    },
    "contacts": {
        "ru": (
            "Контакты",
            "<p>Санкт-Петербург, Лиговский пр., д. 50. Телефон +7 812 400-00-00.</p>",
        ),
        "en": ("Contacts", "<p>50 Ligovsky Ave, St Petersburg. Phone +7 812 400-00-00.</p>"),
    },
}


def _ensure_locales() -> dict[str, Locale]:
    return {code: Locale.objects.get_or_create(language_code=code)[0] for code in ("ru", "en")}


def seed_site() -> list[str]:
    locales = _ensure_locales()
    root = Page.get_first_root_node()
    if root is None:
        # A flushed database (e.g. a transactional test) has lost the tree's root.
        root = Page.add_root(instance=Page(title="Root", slug="root", locale=locales["ru"]))
    home = HomePage.objects.filter(locale=locales["ru"]).first()
    if home is None:
        # Wagtail's placeholder "Welcome" page carries no history: replace it (and its site).
        for placeholder in Page.objects.filter(depth=2):
            if placeholder.specific_class is Page:
                placeholder.delete()
        data = HOME["ru"]
        home = HomePage(
            title=data["title"],
            slug="home",
            lead=data["lead"],
            body=data["body"],
            locale=locales["ru"],
        )
        root.add_child(instance=home)
        home.save_revision().publish()
        Site.objects.update_or_create(
            is_default_site=True,
            defaults={
                "hostname": "localhost",
                "port": 80,
                "root_page": home,
                "site_name": "СевЗапТелеком",
            },
        )
    if not HomePage.objects.filter(locale=locales["en"]).exists():
        en_home = home.copy_for_translation(locales["en"])
        data = HOME["en"]
        en_home.title, en_home.lead, en_home.body = data["title"], data["lead"], data["body"]
        en_home.save_revision().publish()
    home = HomePage.objects.get(pk=home.pk)
    for slug, langs in PAGES.items():
        page = StandardPage.objects.filter(slug=slug, locale=locales["ru"]).first()
        if page is None:
            title, text = langs["ru"]
            page = StandardPage(title=title, slug=slug, body=[("text", text)], locale=locales["ru"])
            home.add_child(instance=page)
            page.save_revision().publish()
        if not StandardPage.objects.filter(
            translation_key=page.translation_key, locale=locales["en"]
        ).exists():
            en_page = page.copy_for_translation(locales["en"], copy_parents=True)
            title, text = langs["en"]
            en_page.title, en_page.body = title, [("text", text)]
            en_page.save_revision().publish()
    return [f"Site pages: {Page.objects.filter(depth__gt=1).count()}"]

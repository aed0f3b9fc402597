# ruff: noqa: E501  (demo content: long sentences read better unbroken)
"""The demo public site of a St Petersburg business-telephony operator, in Russian and English.

Idempotent: pages are found by slug and translation key; nothing is created twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from wagtail.models import Locale, Page, Site

from kabinet.catalog.models import Service

from .models import (
    HomePage,
    Menu,
    MenuItem,
    NewsIndexPage,
    NewsPage,
    ServiceIndexPage,
    ServicePage,
    StandardPage,
)

Text = dict[str, Any]

HOME: dict[str, Text] = {
    "ru": {
        "title": "Телефония для бизнеса в Санкт-Петербурге",
        "lead": "Городские номера, междугородная и международная связь, виртуальная АТС. "
        "Подключим за один день, счета и оплата — в личном кабинете.",
        "body": [
            ("heading", "Почему нас выбирают"),
            (
                "text",
                "<p>С 2004 года мы обслуживаем более двух тысяч компаний Петербурга и "
                "Ленинградской области: собственная сеть, резервированные каналы и "
                "круглосуточная поддержка.</p>",
            ),
            (
                "faq",
                {
                    "title": "Частые вопросы",
                    "items": [
                        {
                            "question": "Как оплатить связь?",
                            "answer": "<p>Картой на сайте без входа в кабинет — по номеру договора, или через терминалы и банк.</p>",
                        },
                        {
                            "question": "Можно ли сохранить свой номер?",
                            "answer": "<p>Да, перенесём номер от другого оператора за 8 рабочих дней.</p>",
                        },
                    ],
                },
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
            (
                "faq",
                {
                    "title": "Frequently asked questions",
                    "items": [
                        {
                            "question": "How do I pay?",
                            "answer": "<p>By card on this site without signing in, by contract number, or through terminals and banks.</p>",
                        },
                        {
                            "question": "Can I keep my number?",
                            "answer": "<p>Yes, we port a number from another operator in 8 working days.</p>",
                        },
                    ],
                },
            ),
            ("cta", {"text": "Pay without signing in", "url": "/pay/"}),
        ],
    },
}

STANDARD: dict[str, dict[str, tuple[str, str]]] = {
    "about": {
        "ru": (
            "О компании",
            "<p>«СевЗапТелеком» — оператор связи для бизнеса. Лицензии Роскомнадзора "
            "на услуги местной, междугородной и международной телефонной связи.</p>"
            "<p>Наш офис и узел связи — в центре Петербурга, на Лиговском проспекте.</p>",
        ),
        "en": (
            "About us",
            "<p>SevZapTelecom is a telephone operator for businesses, licensed for local, "
            "long-distance and international telephony.</p>"
            "<p>Our office and switching centre are in the centre of St Petersburg.</p>",
        ),
    },
    "contacts": {
        "ru": (
            "Контакты",
            "<p>Санкт-Петербург, Лиговский пр., д. 50, корп. 3.</p>"
            "<p>Телефон: +7 812 400-00-00 (круглосуточно). E-mail: support@kabinet.test.</p>"
            "<p>Отдел продаж: пн–пт, 9:00–18:00.</p>",
        ),
        "en": (
            "Contacts",
            "<p>50 Ligovsky Ave, bldg 3, St Petersburg.</p>"
            "<p>Phone: +7 812 400-00-00 (24/7). E-mail: support@kabinet.test.</p>"
            "<p>Sales: Mon–Fri, 9:00–18:00.</p>",
        ),
    },
    "privacy": {
        "ru": (
            "Политика обработки персональных данных",
            "<p>Мы обрабатываем персональные данные "
            "клиентов в соответствии с Федеральным законом № 152-ФЗ только для исполнения договора.</p>",
        ),
        "en": (
            "Privacy policy",
            "<p>We process clients' personal data under Federal Law 152-FZ "
            "only to perform the contract.</p>",
        ),
    },
}

SERVICE_TEXT: dict[str, dict[str, tuple[str, str, str]]] = {
    "local-number": {
        "ru": (
            "Городской номер",
            "Номер в коде 812 для вашего офиса.",
            "<p>Многоканальный городской номер: несколько разговоров одновременно, определитель номера, "
            "подключение к офисной АТС или к нашей виртуальной АТС.</p>",
        ),
        "en": (
            "Local number",
            "A number in the 812 area code for your office.",
            "<p>A multi-line local number: several calls at once, caller ID, connection to your office "
            "PBX or to our virtual PBX.</p>",
        ),
    },
    "long-distance": {
        "ru": (
            "Междугородная и международная связь",
            "Звонки по России и миру с лимитом расходов.",
            "<p>Выход на междугородную и международную связь с месячным лимитом расходов, "
            "который вы задаёте сами в личном кабинете.</p>",
        ),
        "en": (
            "Long-distance and international calls",
            "Calls across Russia and the world, with a spending limit.",
            "<p>Long-distance and international calls with a monthly spending limit that you set "
            "yourself in the client cabinet.</p>",
        ),
    },
    "forwarding": {
        "ru": (
            "Переадресация вызовов",
            "Не пропускайте звонки вне офиса.",
            "<p>Переадресация на мобильный или другой номер — сразу или если не ответили за 15 или 30 секунд.</p>",
        ),
        "en": (
            "Call forwarding",
            "Never miss a call out of the office.",
            "<p>Forward calls to a mobile or another number — at once, or when nobody answers in 15 or 30 seconds.</p>",
        ),
    },
    "voicemail": {
        "ru": (
            "Голосовая почта",
            "Сообщения приходят на e-mail.",
            "<p>Если никто не ответил, звонящий оставит сообщение — оно придёт на e-mail в формате MP3.</p>",
        ),
        "en": (
            "Voice mail",
            "Messages arrive by e-mail.",
            "<p>When nobody answers, the caller leaves a message; it arrives by e-mail as an MP3 file.</p>",
        ),
    },
    "vpbx": {
        "ru": (
            "Виртуальная АТС",
            "Облачная АТС без оборудования в офисе.",
            "<p>Внутренние номера, голосовое меню, очереди и запись разговоров. Настройка — за день.</p>",
        ),
        "en": (
            "Virtual PBX",
            "A cloud PBX with no hardware in the office.",
            "<p>Extensions, voice menus, queues and call recording. Set up in a day.</p>",
        ),
    },
}

NEWS: list[dict[str, Any]] = [
    {
        "slug": "new-office-line",
        "days": 5,
        "ru": (
            "Расширили узел связи на Лиговском",
            "Ёмкость сети выросла вдвое.",
            "<p>Мы установили новое оборудование и удвоили ёмкость узла связи. Подключение новых номеров — в тот же день.</p>",
        ),
        "en": (
            "Our switching centre doubled",
            "Network capacity has doubled.",
            "<p>New equipment has doubled the capacity of our switching centre. New numbers are connected the same day.</p>",
        ),
    },
    {
        "slug": "pay-by-card",
        "days": 20,
        "ru": (
            "Оплата картой без входа в кабинет",
            "Достаточно номера договора.",
            "<p>Теперь оплатить связь можно картой на сайте, указав только номер договора.</p>",
        ),
        "en": (
            "Pay by card without signing in",
            "The contract number is all you need.",
            "<p>You can now pay by card on the site with just your contract number.</p>",
        ),
    },
    {
        "slug": "vpbx-recording",
        "days": 45,
        "ru": (
            "Запись разговоров в Виртуальной АТС",
            "Включается в личном кабинете.",
            "<p>Запись разговоров теперь входит во все тарифы Виртуальной АТС без доплаты.</p>",
        ),
        "en": (
            "Call recording in the Virtual PBX",
            "Switch it on in the cabinet.",
            "<p>Call recording is now included in every Virtual PBX tariff at no extra charge.</p>",
        ),
    },
    {
        "slug": "holiday-support",
        "days": 70,
        "ru": (
            "Поддержка в праздники",
            "Работаем круглосуточно.",
            "<p>Служба поддержки работает круглосуточно, включая праздничные дни.</p>",
        ),
        "en": (
            "Support over the holidays",
            "We work around the clock.",
            "<p>Our support team works around the clock, holidays included.</p>",
        ),
    },
    {
        "slug": "number-porting",
        "days": 100,
        "ru": (
            "Перенос номера за 8 дней",
            "Сохраните свой номер.",
            "<p>Переносим городские номера от других операторов за 8 рабочих дней.</p>",
        ),
        "en": (
            "Number porting in 8 days",
            "Keep your number.",
            "<p>We port local numbers from other operators in 8 working days.</p>",
        ),
    },
]

MENUS: dict[str, dict[str, list[tuple[str, str]]]] = {
    "header": {
        "ru": [
            ("Услуги", "/services/"),
            ("Тарифы", "/tariffs/"),
            ("Новости", "/news/"),
            ("О компании", "/about/"),
            ("Контакты", "/contacts/"),
        ],
        "en": [
            ("Services", "/services/"),
            ("Tariffs", "/tariffs/"),
            ("News", "/news/"),
            ("About", "/about/"),
            ("Contacts", "/contacts/"),
        ],
    },
    "footer": {
        "ru": [
            ("Оплатить без входа", "/pay/"),
            ("Личный кабинет", "/login/"),
            ("Тарифы", "/tariffs/"),
            ("Политика конфиденциальности", "/privacy/"),
        ],
        "en": [
            ("Pay without signing in", "/pay/"),
            ("Client cabinet", "/login/"),
            ("Tariffs", "/tariffs/"),
            ("Privacy policy", "/privacy/"),
        ],
    },
}


def _site_address() -> dict[str, Any]:
    """The Site record's host and port from KABINET_SITE_URL (Wagtail's "view live" links)."""
    parts = urlsplit(settings.SITE_URL)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return {"hostname": parts.hostname or "localhost", "port": port}


def _publish(page: Page) -> None:
    page.save_revision().publish()


def _translate(page: Page, locale: Locale, **fields: Any) -> Page:
    """The page's translation into ``locale``, created and published once."""
    existing = page.__class__.objects.filter(
        translation_key=page.translation_key, locale=locale
    ).first()
    if existing is not None:
        return existing
    translated = page.copy_for_translation(locale, copy_parents=True)
    for name, value in fields.items():
        setattr(translated, name, value)
    _publish(translated)
    return translated


def _child(parent: Page, model: type[Page], slug: str, ru: Locale, **fields: Any) -> Page:
    page = model.objects.filter(slug=slug, locale=ru).child_of(parent).first()
    if page is None:
        page = model(slug=slug, locale=ru, **fields)
        parent.add_child(instance=page)
        _publish(page)
    return page


def seed_site() -> list[str]:
    ru = Locale.objects.get_or_create(language_code="ru")[0]
    en = Locale.objects.get_or_create(language_code="en")[0]
    root = Page.get_first_root_node()
    if root is None:
        # A flushed database (e.g. a transactional test) has lost the tree's root.
        root = Page.add_root(instance=Page(title="Root", slug="root", locale=ru))
    home = HomePage.objects.filter(locale=ru).first()
    if home is None:
        # Wagtail's placeholder "Welcome" page carries no history: replace it (and its site).
        for placeholder in Page.objects.filter(depth=2):
            if placeholder.specific_class is Page:
                placeholder.delete()
        data = HOME["ru"]
        home = HomePage(
            title=data["title"], slug="home", lead=data["lead"], body=data["body"], locale=ru
        )
        root.add_child(instance=home)
        _publish(home)
        Site.objects.update_or_create(
            is_default_site=True,
            defaults={
                **_site_address(),
                "root_page": home,
                "site_name": "СевЗапТелеком",
            },
        )
    _translate(
        home, en, title=HOME["en"]["title"], lead=HOME["en"]["lead"], body=HOME["en"]["body"]
    )
    home = HomePage.objects.get(pk=home.pk)

    for slug, langs in STANDARD.items():
        title, text = langs["ru"]
        page = _child(home, StandardPage, slug, ru, title=title, body=[("text", text)])
        title, text = langs["en"]
        _translate(page, en, title=title, body=[("text", text)])

    services_index = _child(
        home,
        ServiceIndexPage,
        "services",
        ru,
        title="Услуги",
        intro="<p>Всё для телефонной связи офиса. Цены — актуальные, из нашего каталога.</p>",
    )
    _translate(
        services_index,
        en,
        title="Services",
        intro="<p>Everything for your office telephony. Prices are live from our catalogue.</p>",
    )
    for code, service_langs in SERVICE_TEXT.items():
        service = Service.objects.filter(code=code).first()
        if service is None:
            continue
        title, intro, text = service_langs["ru"]
        page = _child(
            services_index,
            ServicePage,
            code,
            ru,
            title=title,
            intro=intro,
            body=[("text", text)],
            service=service,
        )
        title, intro, text = service_langs["en"]
        _translate(page, en, title=title, intro=intro, body=[("text", text)])

    news_index = _child(home, NewsIndexPage, "news", ru, title="Новости")
    _translate(news_index, en, title="News")
    today = timezone.localdate()
    for item in NEWS:
        title, intro, text = item["ru"]
        page = _child(
            news_index,
            NewsPage,
            item["slug"],
            ru,
            title=title,
            intro=intro,
            body=[("text", text)],
            date=today - dt.timedelta(days=item["days"]),
        )
        title, intro, text = item["en"]
        _translate(page, en, title=title, intro=intro, body=[("text", text)])

    for location, menu_langs in MENUS.items():
        for code, locale in (("ru", ru), ("en", en)):
            menu, created = Menu.objects.get_or_create(location=location, locale=locale)
            if created:
                for order, (title, url) in enumerate(menu_langs[code]):
                    MenuItem.objects.create(menu=menu, title=title, url=url, sort_order=order)
    return [f"Site pages: {Page.objects.filter(depth__gt=1).count()} (Russian and English)"]

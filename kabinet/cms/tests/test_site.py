from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from kabinet.catalog.models import Tariff, TariffOffer, Visibility
from kabinet.cms.models import HomePage, NewsIndexPage, NewsPage, ServicePage, StandardPage
from kabinet.cms.sanitize import clean_html
from kabinet.subscriptions.tariffs import tariff_change_prices

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(db):
    from kabinet.demo.seed import seed_demo

    seed_demo(only=("catalog", "cms"))


def ru(client):
    client.cookies["kabinet_language"] = "ru"
    return client


def test_drafts_stay_hidden_until_published(client, site):
    about = StandardPage.objects.get(slug="about", locale__language_code="ru")
    about.title = "О нас — черновик"
    about.save_revision()
    assert "черновик" not in ru(client).get("/about/").content.decode()
    about.get_latest_revision().publish()
    assert "О нас — черновик" in ru(client).get("/about/").content.decode()


def test_scheduled_publishing_waits_for_its_time(client, site):
    from unittest import mock

    from kabinet.cms.tasks import publish_scheduled_pages

    news = NewsIndexPage.objects.get(locale__language_code="ru")
    go_live = timezone.now() + dt.timedelta(hours=1)
    item = NewsPage(
        title="Новые тарифы с января",
        slug="january",
        date=timezone.localdate(),
        live=False,
        go_live_at=go_live,
    )
    news.add_child(instance=item)
    item.save_revision().publish()  # a future go-live only schedules it
    publish_scheduled_pages.enqueue()
    assert ru(client).get("/news/january/").status_code == 404
    with mock.patch("django.utils.timezone.now", return_value=go_live + dt.timedelta(minutes=1)):
        publish_scheduled_pages.enqueue()
    assert ru(client).get("/news/january/").status_code == 200


def test_roll_back_to_an_earlier_revision(client, site):
    home = HomePage.objects.get(locale__language_code="ru")
    first = home.get_latest_revision()
    home.lead = "Новый лид для теста"
    home.save_revision().publish()
    assert "Новый лид для теста" in ru(client).get("/").content.decode()
    first.publish()
    body = ru(client).get("/").content.decode()
    assert "Новый лид для теста" not in body
    assert "Подключим за один день" in body


XSS = [
    "<script>alert(1)</script><p>ok</p>",
    '<p onclick="alert(1)">ok</p>',
    '<a href="javascript:alert(1)">ok</a>',
    "<img src=x onerror=alert(1)>",
    '<iframe src="https://evil.example"></iframe>',
    "<svg><script>alert(1)</script></svg>",
    '<a href="JaVaScRiPt:alert(1)">ok</a>',
    '<p style="background:url(javascript:alert(1))">ok</p>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">ok</a>',
]


@pytest.mark.parametrize("payload", XSS)
def test_sanitiser_removes_scripts_handlers_and_javascript_links(payload):
    cleaned = clean_html(payload).lower()
    for needle in (
        "<script",
        "onerror",
        "onclick",
        "javascript:",
        "<iframe",
        "style=",
        "data:text",
    ):
        assert needle not in cleaned


@pytest.mark.parametrize("payload", XSS)
def test_stored_rich_text_never_reaches_a_visitor(client, site, payload):
    about = StandardPage.objects.get(slug="about", locale__language_code="ru")
    about.intro = payload
    about.body = [("text", payload)]
    about.save_revision().publish()
    body = ru(client).get("/about/").content.decode().lower()
    main = body.split('id="content"', 1)[1].split("</main>", 1)[0]
    for needle in ("<script", "onerror", "onclick", "javascript:", "<iframe"):
        assert needle not in main


def test_service_page_shows_exactly_public_tariffs_with_live_prices(client, site):
    page = ServicePage.objects.get(slug="local-number", locale__language_code="ru")
    body = ru(client).get("/services/local-number/").content.decode()
    public = set(
        Tariff.objects.filter(service=page.service, visibility=Visibility.PUBLIC).values_list(
            "code", flat=True
        )
    )
    shown = {
        code
        for code in Tariff.objects.values_list("code", flat=True)
        if f'data-testid="tariff-{code}"' in body
    }
    assert shown == public == {"local-start", "local-business"}
    # An editor writing about the archived tariff does not make it appear.
    assert TariffOffer.objects.filter(tariff__code="local-partner").exists()
    assert 'data-testid="tariff-local-partner"' not in body


def test_service_page_follows_a_price_change_at_once(client, site, manager):
    url = "/services/local-number/"
    assert 'data-testid="price-local-start">490,00' in ru(client).get(url).content.decode()
    assert ru(client).get(url)["X-Cache"] == "hit"
    tariff = Tariff.objects.get(code="local-start")
    # Make the new price the current one by changing it and moving today past its date.
    version = tariff_change_prices(
        actor=manager,
        tariff=tariff,
        effective_from=timezone.localdate() + dt.timedelta(days=30),
        prices={
            "monthly_fee": Decimal("550.00"),
            "setup_fee": Decimal("0"),
            "per_minute_local": Decimal("0"),
            "per_minute_long_distance": Decimal("2.50"),
            "per_minute_international": Decimal("19.00"),
        },
    )
    body = ru(client).get(url).content.decode()
    assert "550,00" in body  # announced as the next price
    type(version).objects.filter(pk=version.pk).update(effective_from=timezone.localdate())
    from kabinet.core.pagecache import public_cache_bump

    public_cache_bump()
    assert 'data-testid="price-local-start">550,00' in ru(client).get(url).content.decode()


def test_anonymous_pages_are_cached_and_publish_invalidates(client, site):
    assert ru(client).get("/contacts/")["X-Cache"] == "miss"
    assert ru(client).get("/contacts/")["X-Cache"] == "hit"
    page = StandardPage.objects.get(slug="contacts", locale__language_code="ru")
    page.title = "Контакты и реквизиты"
    page.save_revision().publish()
    response = ru(client).get("/contacts/")
    assert response["X-Cache"] == "miss"
    assert "Контакты и реквизиты" in response.content.decode()


def test_a_cached_page_is_served_before_sessions_with_every_security_header(client, site):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert ru(client).get("/contacts/")["X-Cache"] == "miss"
    with CaptureQueriesContext(connection) as queries:
        hit = ru(client).get("/contacts/")
    assert hit["X-Cache"] == "hit"
    assert hit["Content-Language"] == "ru"
    assert "Accept-Language" in hit["Vary"]
    assert "default-src" in hit["Content-Security-Policy"]
    assert hit["X-Frame-Options"] == "DENY"
    assert hit["X-Content-Type-Options"] == "nosniff"
    assert not hit.cookies
    # Nothing around it ran: no session, user or page lookup (the cache table is not a
    # query when Redis is the cache; the database cache reads its table once).
    assert not [q for q in queries.captured_queries if "kabinet_cache" not in q["sql"]]
    # Each language has its own copy; a signed-in visitor never gets the cached one.
    client.cookies["kabinet_language"] = "en"
    assert client.get("/contacts/")["X-Cache"] == "miss"
    assert client.get("/contacts/")["Content-Language"] == "en"


def test_signed_in_visitors_and_query_strings_skip_the_page_cache(client, site, manager):
    ru(client).get("/contacts/")
    assert "X-Cache" not in ru(client).get("/contacts/?utm=1")
    client.force_login(manager)
    response = ru(client).get("/contacts/")
    assert "X-Cache" not in response


def test_cached_pages_carry_no_csrf_token(client, site):
    body = ru(client).get("/").content.decode()
    assert "csrfmiddlewaretoken" not in body
    assert "X-CSRFToken" not in body


def test_pages_exist_in_both_languages(client, site):
    client.cookies["kabinet_language"] = "en"
    assert "Virtual PBX" in client.get("/services/vpbx/").content.decode()
    assert "Виртуальная АТС" in ru(client).get("/services/vpbx/").content.decode()
    response = client.get("/language/en/?next=/news/")
    assert response["Location"] == "/news/"
    assert client.get("/language/en/?next=https://evil.example/")["Location"] == "/"


def test_search_finds_published_pages_by_a_word_from_the_body(client, site):
    response = ru(client).get("/search/?q=MP3")
    titles = [p.title for p in response.context["results"]]
    assert titles == ["Голосовая почта"]


def test_sitemap_robots_and_open_graph(client, site):
    sitemap = client.get("/sitemap.xml").content.decode()
    assert "/services/vpbx/" in sitemap
    robots = client.get("/robots.txt").content.decode()
    assert (
        "Disallow: /cabinet/" in robots and "Sitemap: http://127.0.0.1:8000/sitemap.xml" in robots
    )
    body = ru(client).get("/news/pay-by-card/").content.decode()
    assert '<meta property="og:title" content="Оплата картой без входа в кабинет">' in body
    assert '<meta property="og:type" content="article">' in body


def test_managers_edit_news_and_service_pages_only(site):
    from kabinet.accounts.models import User

    manager = User.objects.get(email="manager@kabinet.test")
    editor = User.objects.get(email="editor@kabinet.test")
    news = NewsPage.objects.filter(locale__language_code="ru").first()
    service = ServicePage.objects.filter(locale__language_code="ru").first()
    home = HomePage.objects.get(locale__language_code="ru")
    about = StandardPage.objects.get(slug="about", locale__language_code="ru")
    for page in (news, service):
        assert page.permissions_for_user(manager).can_edit()
        assert page.permissions_for_user(manager).can_publish()
    for page in (home, about):
        assert not page.permissions_for_user(manager).can_edit()
    for page in (home, about, news, service):
        assert page.permissions_for_user(editor).can_publish()


@pytest.mark.parametrize(
    "query",
    ['"', '"MP3', "MP3*", "NEAR(MP3", "AND OR NOT", "-MP3", "^MP3", "%", "_", "\\", "'", "MP3)"],
)
def test_search_with_query_syntax_in_the_words_answers_a_page(client, site, query):
    response = ru(client).get("/search/", {"q": query})
    assert response.status_code == 200
    titles = [p.title for p in response.context["results"]]
    assert titles in ([], ["Голосовая почта"])


def test_search_reads_words_around_stray_quotes_and_operators(client, site):
    response = ru(client).get("/search/", {"q": '"MP3 NEAR('})
    assert [p.title for p in response.context["results"]] == ["Голосовая почта"]


def test_absolute_urls_follow_the_configured_site_url(client, site, settings):
    settings.SITE_URL = "https://lk.example.ru"
    sitemap = client.get("/sitemap.xml").content.decode()
    assert "<loc>https://lk.example.ru/services/vpbx/</loc>" in sitemap
    assert "localhost" not in sitemap and "testserver" not in sitemap
    assert (
        "Sitemap: https://lk.example.ru/sitemap.xml" in client.get("/robots.txt").content.decode()
    )
    body = ru(client).get("/news/pay-by-card/").content.decode()
    assert '<link rel="canonical" href="https://lk.example.ru/news/pay-by-card/">' in body
    assert '<meta property="og:url" content="https://lk.example.ru/news/pay-by-card/">' in body
    # Links inside the site stay relative.
    assert 'href="/services/vpbx/"' in ru(client).get("/services/").content.decode()

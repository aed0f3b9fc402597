"""Personas and helpers shared by every app's tests."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client as HttpClient

from kabinet.accounts.models import Client, ClientStatus, Membership, MembershipRole, Role, User
from kabinet.catalog.models import ParameterSpec, Service, Tariff, TariffVersion, Visibility
from kabinet.lib.inn import inn_with_checksum
from kabinet.subscriptions.models import Subscription

PASSWORD = "correct-horse-battery"
PRICES = {
    "monthly_fee": Decimal("490.00"),
    "setup_fee": Decimal("1000.00"),
    "per_minute_local": Decimal("0.00"),
    "per_minute_long_distance": Decimal("2.50"),
    "per_minute_international": Decimal("19.00"),
}


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    # Argon2 is the production hasher (tested in test_auth); tests only need speed.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploads of a test land in its own folder, never in var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _run_on_commit_per_request(monkeypatch):
    """In production each request commits, then its on_commit work (mail, tasks) runs.

    Tests run inside one transaction that never commits, so each test-client request runs
    the callbacks it registered when it ends, as a real commit would.
    """
    from django.db import DEFAULT_DB_ALIAS, connections
    from django.test import TestCase
    from django.test.client import Client as DjangoClient

    original = DjangoClient.request

    def request(self, **request):
        if not connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return original(self, **request)
        with TestCase.captureOnCommitCallbacks(execute=True):
            return original(self, **request)

    monkeypatch.setattr(DjangoClient, "request", request)


@pytest.fixture
def make_user(db):
    def make(email: str, role: str = Role.CLIENT, **extra) -> User:
        # Tests read English; each language's rendering is tested on its own.
        extra.setdefault("language", "en")
        return User.objects.create_user(email=email, password=PASSWORD, role=role, **extra)

    return make


@pytest.fixture
def make_client(db):
    counter = {"n": 0}

    def make(contract: str | None = None, **extra) -> Client:
        counter["n"] += 1
        n = counter["n"]
        data = {
            "contract_number": contract or f"{200000 + n}",
            "name": extra.pop("name", f"ООО «Тест {n}»"),
            "inn": inn_with_checksum(f"78{n:07d}"),
            "kpp": "781001001",
            "status": ClientStatus.ACTIVE,
        }
        data.update(extra)
        return Client.objects.create(**data)

    return make


@pytest.fixture
def make_client_user(make_user):
    def make(client: Client, email: str, role: str = MembershipRole.ADMIN) -> User:
        user = make_user(email)
        Membership.objects.create(user=user, client=client, role=role)
        return user

    return make


@pytest.fixture
def manager(make_user) -> User:
    return make_user("manager@test.example", Role.MANAGER, first_name="Ирина", last_name="Волкова")


@pytest.fixture
def other_manager(make_user) -> User:
    return make_user("manager2@test.example", Role.MANAGER)


@pytest.fixture
def editor(make_user) -> User:
    return make_user("editor@test.example", Role.EDITOR)


@pytest.fixture
def admin_user(make_user) -> User:
    return make_user("admin@test.example", Role.ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def company(make_client, manager) -> Client:
    return make_client("100001", name="ООО «Балтийская логистика»", manager=manager)


@pytest.fixture
def other_company(make_client, manager) -> Client:
    return make_client("100002", name="АО «Невский текстиль»", manager=manager)


@pytest.fixture
def client_user(make_client_user, company) -> User:
    return make_client_user(company, "boss@baltlog.example")


@pytest.fixture
def colleague(make_client_user, company) -> User:
    return make_client_user(company, "clerk@baltlog.example", MembershipRole.MEMBER)


@pytest.fixture
def other_client_user(make_client_user, other_company) -> User:
    return make_client_user(other_company, "boss@nevtex.example")


def english_client() -> HttpClient:
    """Tests read messages in English; Russian, the default, is tested on its own."""
    http = HttpClient()
    http.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return http


@pytest.fixture
def client() -> HttpClient:
    return english_client()


def logged_in(user: User) -> HttpClient:
    http = english_client()
    http.force_login(user)
    return http


@pytest.fixture
def as_client(client_user) -> HttpClient:
    return logged_in(client_user)


@pytest.fixture
def as_other_client(other_client_user) -> HttpClient:
    return logged_in(other_client_user)


@pytest.fixture
def as_manager(manager) -> HttpClient:
    return logged_in(manager)


@pytest.fixture
def as_editor(editor) -> HttpClient:
    return logged_in(editor)


# --- Browser tests ------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU")
    context.set_default_timeout(15000)
    page = context.new_page()
    yield page
    context.close()


def browser_login(page, base_url: str, email: str, password: str) -> None:
    page.goto(base_url + "/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.click("form[action='/login/'] button[type=submit]")
    page.wait_for_load_state()


# --- Catalog ------------------------------------------------------------------------------


@pytest.fixture
def service(db) -> Service:
    service = Service.objects.create(
        code="local-number", name="Городской номер", name_en="Local number"
    )
    ParameterSpec.objects.create(
        service=service,
        code="lines",
        label="Линий",
        label_en="Lines",
        type="int",
        default=2,
        min_value=1,
        max_value=30,
        client_editable=True,
        needs_approval=True,
        position=1,
    )
    ParameterSpec.objects.create(
        service=service,
        code="caller_id",
        label="АОН",
        label_en="Caller ID",
        type="bool",
        default=True,
        client_editable=True,
        position=2,
    )
    ParameterSpec.objects.create(
        service=service,
        code="number",
        label="Номер",
        label_en="Number",
        type="phone",
        default=None,
        position=3,
    )
    ParameterSpec.objects.create(
        service=service,
        code="delay",
        label="Задержка",
        label_en="Delay",
        type="choice",
        default="15",
        client_editable=True,
        position=4,
        choices=[{"value": "0", "label": "Сразу"}, {"value": "15", "label": "15 с"}],
    )
    ParameterSpec.objects.create(
        service=service,
        code="prefix",
        label="Префикс",
        label_en="Prefix",
        type="text",
        default="1",
        pattern=r"[1-9][0-9]?",
        client_editable=True,
        position=5,
    )
    return service


@pytest.fixture
def make_tariff(service):
    def make(
        code: str, visibility: str = Visibility.PUBLIC, monthly: str = "490.00", **prices
    ) -> Tariff:
        tariff = Tariff.objects.create(
            service=service, code=code, name=code.title(), visibility=visibility
        )
        data = {**PRICES, "monthly_fee": Decimal(monthly), **prices}
        TariffVersion.objects.create(tariff=tariff, effective_from="2025-01-01", **data)
        return tariff

    return make


@pytest.fixture
def public_tariff(make_tariff) -> Tariff:
    return make_tariff("public")


@pytest.fixture
def subscribe():
    def make(client, tariff, **params) -> Subscription:
        values = {
            "lines": 2,
            "caller_id": True,
            "number": None,
            "delay": "15",
            "prefix": "1",
            **params,
        }
        return Subscription.objects.create(
            client=client, service=tariff.service, tariff=tariff, parameters=values
        )

    return make

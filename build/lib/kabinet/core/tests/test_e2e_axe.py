"""Every page passes axe-core: no critical and no serious violations, for every role.

Each role's pages are found by walking its links from its home page (one page of each URL
shape: ``/manager/clients/7/`` stands for every client's page), then checked by axe-core
(bundled by ``axe-playwright-python``, nothing downloaded) at 1280 and 390 px wide, in
Russian and in English. Moderate findings are allowed only where the README lists them.
"""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urldefrag, urlparse

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from playwright.sync_api import Error as PlaywrightError

from kabinet.conftest import browser_login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "demo12345"
WIDTHS = (1280, 390)
LANGUAGES = ("ru", "en")
BLOCKING = {"critical", "serious"}
# Moderate findings accepted, with the reason in the README ("Accessibility").
ACCEPTED_MODERATE: set[str] = set()

# What each role walks: where it starts, and which addresses are its pages.
ROLES = {
    "public": (None, ["/", "/pay/", "/login/", "/tariffs/", "/search/?q=АТС"], ("/",)),
    "client": (
        "client100001@kabinet.test",
        ["/cabinet/", "/account/notifications/", "/help/client/"],
        ("/cabinet/", "/account/", "/help/client/"),
    ),
    "employee": (
        "buh100001@kabinet.test",
        ["/cabinet/", "/account/notifications/"],
        ("/cabinet/", "/account/"),
    ),
    "manager": (
        "manager@kabinet.test",
        ["/manager/", "/help/manager/"],
        ("/manager/", "/account/", "/help/manager/"),
    ),
}
# Never followed: signing out, downloads, switching language, the CMS's own admin.
SKIP = re.compile(
    r"/logout|/language/|\.(pdf|csv|xlsx|zip)$|/download|/attachment|/files/|/export|/receipt"
    r"|/help/\w+/screen/"
    r"|/editor/|/django-admin/|/documents/|/media/|/static/"
)
PUBLIC_SKIP = ("/cabinet/", "/manager/", "/account/", "/help/", "/pay/status/")
MAX_PAGES = 70
# The walk must really find each role's pages (a broken sign-in would find one or two).
MIN_PAGES = {"public": 15, "client": 20, "employee": 15, "manager": 30}


def _shape(path: str) -> str:
    """One page per URL shape: ids, uuids and dates stand for any."""
    path = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}", "<uuid>", path)
    path = re.sub(r"\d+", "<n>", path)
    return path


def _walk(page, base: str, starts: list[str], prefixes: tuple[str, ...], public: bool) -> list[str]:
    seen_shapes: set[str] = set()
    queue = deque(starts)
    found: list[str] = []
    while queue and len(found) < MAX_PAGES:
        target = queue.popleft()
        path = urlparse(target).path
        shape = _shape(path) + ("?" + urlparse(target).query if path == "/search/" else "")
        if shape in seen_shapes:
            continue
        seen_shapes.add(shape)
        try:
            response = page.goto(base + target)
        except PlaywrightError:  # a download, not a page
            continue
        if (
            response is None
            or response.status >= 400
            or "text/html" not in (response.headers.get("content-type", ""))
        ):
            continue
        found.append(target)
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            href, _fragment = urldefrag(href)
            if not href.startswith(base):
                continue
            link = href[len(base) :] or "/"
            link_path = urlparse(link).path
            if SKIP.search(link_path) or not link_path.startswith(prefixes):
                continue
            if public and link_path.startswith(PUBLIC_SKIP):
                continue
            queue.append(link)
    return found


def _violations(page, axe: Axe) -> list[dict]:
    results = axe.run(page)
    return results.response["violations"]


def _describe(url: str, width: int, language: str, violation: dict) -> str:
    nodes = "; ".join(" ".join(n["target"][0:1]) for n in violation["nodes"][:3])
    return f"{language} {width}px {url}: {violation['id']} ({violation['impact']}) at {nodes}"


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_page_of_the_role_passes_axe(live_server, browser, role):
    call_command("seed_demo", verbosity=0)
    email, starts, prefixes = ROLES[role]
    base = live_server.url
    axe = Axe()
    blocking: list[str] = []
    moderate: list[str] = []
    checked = 0
    for language in LANGUAGES:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
        context.set_default_timeout(15000)
        context.add_cookies([{"name": "kabinet_language", "value": language, "url": base}])
        page = context.new_page()
        if email is not None:
            from kabinet.accounts.models import User

            User.objects.filter(email=email).update(language=language)
            browser_login(page, base, email, PASSWORD)
        pages = _walk(page, base, starts, prefixes, public=email is None)
        print(f"axe: {role} {language}: {len(pages)} pages")
        assert len(pages) >= MIN_PAGES[role], pages
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            for url in pages:
                page.goto(base + url)
                checked += 1
                for violation in _violations(page, axe):
                    line = _describe(url, width, language, violation)
                    if violation["impact"] in BLOCKING:
                        blocking.append(line)
                    elif violation["id"] not in ACCEPTED_MODERATE:
                        moderate.append(line)
        context.close()
    assert checked >= 4 * len(starts)
    assert blocking == [], "\n".join(blocking)
    assert moderate == [], "\n".join(moderate)

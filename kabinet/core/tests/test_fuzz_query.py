"""Hostile query strings on every view that reads one: never a 5xx, never a reflected script.

The POST side has its guard in test_fuzz_forms.py; this is its twin for ``request.GET``.
Views that read the query string are found from the URLconf and the views' source (the
view itself, or a helper in its module that it calls); each must have an entry here that
says who opens it and which parameters it reads, or the guard fails.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any
from urllib.parse import quote

import pytest
from django import forms
from django.urls import get_resolver

from kabinet.conftest import english_client, logged_in

from .fuzzkit import assert_no_script
from .test_fuzz_forms import World, _methods, _walk, fake_gateway, totp_clock, world  # noqa: F401

# Hostile values for any one parameter: query syntax of the full-text engines, SQL and LIKE
# wildcards, huge and control characters, numbers and dates that cannot be, scripts.
VALUES = [
    '"',
    "'",
    '"unbalanced',
    "*",
    "NEAR(",
    "AND OR NOT",
    "-",
    "^",
    "%",
    "_",
    "\\",
    "' OR 1=1 --",
    "A" * 10_000,
    "\x00",
    "a\x01b\x1f\x7f",
    "-1",
    "0",
    "99999999999999999999999",
    "1e309",
    "NaN",
    "١٢",
    "²",
    "0000-00-00",
    "2026-02-30",
    "9999-12-31",
    "😀",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "",
]
# Raw query-string values: invalid percent-encoding and invalid UTF-8.
RAW = ["%ZZ", "%", "%FF%FE", "%C0%AF", "%00", "%E2%82"]


def _anything(_w: World) -> None:
    return None


@dataclass(frozen=True)
class Entry:
    persona: str  # anon, client, manager, editor
    path: Callable[[World], str]
    # Parameters the view reads besides those found in its source and its filter form.
    params: tuple[str, ...] = ()
    prepare: Callable[[World], None] = field(default=_anything)


def fixed(path: str) -> Callable[[World], str]:
    return lambda _w: path


def _help(_w: World) -> None:
    from kabinet.helpcenter.services import help_load

    help_load()


def _site(_w: World) -> None:
    from kabinet.demo.seed import seed_demo

    seed_demo(only=("catalog", "cms"))


def _calls(w: World) -> None:
    import datetime as dt

    from kabinet.calls import partitions
    from kabinet.calls.days import calls_store
    from kabinet.calls.models import Call

    moment = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    partitions.ensure_partitions([partitions.month_of(moment)])
    calls_store(
        [
            Call(
                client=w.company,
                call_id="FUZZ-1",
                started_at=moment,
                direction="out",
                number="78124001001",
                peer="74951234567",
                zone="long_distance",
                duration_s=125,
                amount="6.25",
            )
        ]
    )


ENTRIES: dict[str, Entry] = {
    "login": Entry("anon", fixed("/login/")),
    "search": Entry("anon", fixed("/search/"), prepare=_site),
    "set_language_link": Entry("anon", fixed("/language/en/")),
    "site:pay": Entry("anon", fixed("/pay/"), params=("contract", "amount", "email")),
    "site:pay_recipient": Entry("anon", fixed("/pay/recipient/")),
    "site:pay_terminal": Entry(
        "anon", fixed("/pay/terminal/"), params=("action", "number", "amount", "receipt", "date")
    ),
    "site:pay_osmp": Entry(
        "anon", fixed("/pay/osmp/"), params=("command", "txn_id", "account", "sum", "txn_date")
    ),
    "account:notifications": Entry("client", fixed("/account/notifications/")),
    "cabinet:requests": Entry("client", fixed("/cabinet/requests/")),
    "cabinet:threads": Entry("client", fixed("/cabinet/messages/")),
    "cabinet:payments": Entry("client", fixed("/cabinet/payments/")),
    "cabinet:pay": Entry("client", fixed("/cabinet/pay/")),
    "cabinet:invoices": Entry("client", fixed("/cabinet/invoices/"), params=("page",)),
    "cabinet:statements": Entry("client", fixed("/cabinet/statements/"), params=("period", "page")),
    "cabinet:calls": Entry("client", fixed("/cabinet/calls/"), prepare=_calls),
    "cabinet:calls_csv": Entry("client", fixed("/cabinet/calls/export.csv"), prepare=_calls),
    "cabinet:calls_xlsx": Entry("client", fixed("/cabinet/calls/export.xlsx"), prepare=_calls),
    "manager:client_calls": Entry(
        "manager", lambda w: f"/manager/clients/{w.company.pk}/calls/", prepare=_calls
    ),
    "manager:client_calls_csv": Entry(
        "manager", lambda w: f"/manager/clients/{w.company.pk}/calls/export.csv", prepare=_calls
    ),
    "manager:client_calls_xlsx": Entry(
        "manager", lambda w: f"/manager/clients/{w.company.pk}/calls/export.xlsx", prepare=_calls
    ),
    "manager:client_list": Entry("manager", fixed("/manager/clients/")),
    "manager:deliveries": Entry("manager", fixed("/manager/deliveries/")),
    "manager:credits": Entry("manager", fixed("/manager/promised-payments/")),
    "manager:call_labels": Entry("manager", fixed("/manager/call-labelling/")),
    "manager:audit_log": Entry("manager", fixed("/manager/audit/")),
    "manager:tariffs": Entry("manager", fixed("/manager/tariffs/")),
    "manager:tariff_create": Entry("manager", fixed("/manager/tariffs/new/")),
    "manager:subscription_create": Entry(
        "manager",
        lambda w: f"/manager/clients/{w.company.pk}/services/new/",
        params=("service", "tariff"),
    ),
    "manager:requests": Entry("manager", fixed("/manager/requests/")),
    "manager:threads": Entry("manager", fixed("/manager/messages/")),
    "manager:thread_new": Entry("manager", fixed("/manager/messages/new/")),
    "manager:notices": Entry("manager", fixed("/manager/notices/")),
    "manager:payments": Entry("manager", fixed("/manager/payments/")),
    "manager:payments_export": Entry("manager", fixed("/manager/payments/export.csv")),
    "manager:exchange": Entry("manager", fixed("/manager/exchange/")),
    "help:search": Entry("client", fixed("/help/client/search/"), prepare=_help),
    "help:for_path": Entry("client", fixed("/help/client/for-path/"), prepare=_help),
    # Wagtail serves the news list, which pages by ?page=.
    "wagtail_serve": Entry("anon", fixed("/news/"), params=("page",), prepare=_site),
}
# Not ours to fix: Django's own admin (closed to everyone but administrators) and Wagtail's
# editor views; the editor cabinet's pages are checked by test_fuzz_editor.py.
OUT_OF_SCOPE = ("/editor/", "/django-admin/", "/documents/", "/media/")


# --- finding the views that read the query string ---------------------------------------------

_READS_GET = re.compile(r"\.GET\b")
_PARAM = re.compile(r"GET\.get(?:list)?\(\s*[\"'](\w+)")
_FORM = re.compile(r"(\w+)\(\s*request\.GET\b")


def _unwrap(view: Any) -> Any:
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return view_class
    while hasattr(view, "__wrapped__"):
        view = view.__wrapped__
    return view


def _source(obj: Any) -> str:
    try:
        return inspect.getsource(obj)
    except (OSError, TypeError):
        return ""


def _helpers(module: ModuleType) -> dict[str, str]:
    """Functions of a views module, other than views, that read the query string."""
    found = {}
    for name, obj in vars(module).items():
        if inspect.isfunction(obj) and obj.__module__ == module.__name__:
            source = _source(obj)
            if _READS_GET.search(source):
                found[name] = source
    return found


def _form_fields(module: ModuleType, source: str) -> set[str]:
    names: set[str] = set()
    for form_name in _FORM.findall(source):
        form = getattr(module, form_name, None)
        if isinstance(form, type) and issubclass(form, forms.BaseForm):
            names.update(form.base_fields)
    return names


def query_views() -> dict[str, tuple[str, set[str]]]:
    """URL name → (route, parameters read) for every view that reads ``request.GET``."""
    found: dict[str, tuple[str, set[str]]] = {}
    for name, route, view in _walk(get_resolver().url_patterns):
        if route.startswith(OUT_OF_SCOPE):
            continue
        methods = _methods(view)
        if methods is not None and "GET" not in methods:
            continue
        func = _unwrap(view)
        module = inspect.getmodule(func)
        if module is None or not module.__name__.startswith("kabinet."):
            continue
        source = _source(func)
        texts = [source]
        for helper, helper_source in _helpers(module).items():
            if helper != getattr(func, "__name__", "") and re.search(rf"\b{helper}\(", source):
                texts.append(helper_source)
        text = "\n".join(texts)
        if not _READS_GET.search(text):
            continue
        params = set(_PARAM.findall(text)) | _form_fields(module, text)
        found[name] = (route, params)
    return found


QUERY_VIEWS = query_views()


def test_every_view_that_reads_the_query_string_has_an_entry():
    assert {"search", "manager:payments", "help:search"} <= set(QUERY_VIEWS)
    missing = sorted(set(QUERY_VIEWS) - set(ENTRIES))
    assert missing == [], f"views reading request.GET without an entry in {__name__}: {missing}"
    stale = sorted(set(ENTRIES) - set(QUERY_VIEWS) - {"wagtail_serve"})
    assert stale == [], f"entries for views that read no query string: {stale}"


def test_the_walk_finds_the_parameters_of_filter_forms():
    _route, params = QUERY_VIEWS["manager:payments"]
    assert {"page", "status", "channel"} <= params


# --- the fuzz --------------------------------------------------------------------------------


def _http(w: World, persona: str):
    user = w.users[persona]
    return english_client() if user is None else logged_in(user)


def _check(response, where: str) -> None:
    assert response.status_code < 500, f"{where}: {response.status_code}"
    assert_no_script(response, where)
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)  # a streamed answer must not fail halfway


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_view_under_hostile_query_strings(world, name):  # noqa: F811 (the fixture)
    entry = ENTRIES[name]
    entry.prepare(world)
    http = _http(world, entry.persona)
    path = entry.path(world)
    params = sorted(set(QUERY_VIEWS.get(name, ("", set()))[1]) | set(entry.params))
    assert params, f"{name}: no parameters found to fuzz"
    for param in params:
        for value in VALUES:
            _check(http.get(path, {param: value}), f"GET {path}?{param}={value[:40]!r}")
        for raw in RAW:
            _check(http.get(f"{path}?{param}={raw}"), f"GET {path}?{param}={raw}")
        # The same parameter twice.
        _check(http.get(f"{path}?{param}=1&{param}=2"), f"GET {path}?{param}=1&{param}=2")
    # Every parameter hostile at once, and junk keys nobody reads.
    for value in ('"', "-1", "99999999999999999999999", "%", "A" * 10_000):
        query = "&".join(f"{p}={quote(value)}" for p in [*params, "sort", "format", "x"])
        _check(http.get(f"{path}?{query}"), f"GET {path} with every parameter {value[:20]!r}")

"""Hostile input and the checks every fuzzed request must pass.

- ``JUNK`` / ``BROKEN``: what an attacker or a broken client sends;
- ``TEXT``: text a form should accept, script payloads included;
- ``db_state``: every table's row count and a checksum of its rows, to prove that a
  refused request changed nothing;
- ``assert_no_script``: a page (or an e-mail) carries no script that came from input.
"""

from __future__ import annotations

import hashlib
from html.parser import HTMLParser

from django.apps import apps
from django.contrib.messages import constants, get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

FUZZ = settings(
    max_examples=25,
    deadline=None,
    database=None,  # the same examples on every run and in CI
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)

SCRIPTS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "javascript:alert(1)",
    '<a href="javascript:alert(1)">x</a>',
    "</textarea><script>alert(1)</script>",
    "{{ 7*7 }}{% debug %}",
    "%(name)s %s %d {0}",
]
SPECIAL = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "-1",
    "0",
    "-0.00",
    "1e309",
    "-1e309",
    "NaN",
    "Infinity",
    "1,5",
    "1 500,50",
    "10.999",
    "99999999999999999999999",
    "²",
    "①",
    "١٢٣",
    "２０００",
    "2026-02-30",
    "0000-00-00",
    "31.12.2026",
    "9999-99-99",
    "' OR 1=1 --",
    "'; DROP TABLE accounts_client; --",
    "null",
    "[]",
    "{}",
    "../../etc/passwd",
    "\u202eevil",
    "😀" * 20,
    "\r\nBcc: victim@example.com",
    "A" * 20_000,
]
HOSTILE = SCRIPTS + SPECIAL
_CHARS = st.characters(blacklist_categories=("Cs",))
JUNK = st.one_of(st.sampled_from(HOSTILE), st.text(_CHARS, max_size=60))
# A broken field: left out, junk, or sent twice.
MISSING = object()
BROKEN = st.one_of(st.just(MISSING), JUNK, st.lists(JUNK, min_size=2, max_size=3))
# Text a form should accept: printable, script payloads included.
TEXT = st.one_of(
    st.sampled_from(SCRIPTS),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40).filter(
        str.strip
    ),
)


def upload_strategy() -> st.SearchStrategy:
    """Files: accepted text and PDF, and things that must be refused."""
    contents = st.sampled_from(
        [
            b"<script>alert(1)</script>\n",
            b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
            b"MZ\x90\x00\x03\x00\x00\x00",  # an executable
            b"",
            b"\x00\x01\x02binary",
            "Счёт за март\n".encode(),
        ]
    )
    names = st.sampled_from(
        ["note.txt", "../../../etc/passwd", "evil.html", "a\x00b.pdf", "счёт.pdf", "x" * 300]
    )
    return st.builds(SimpleUploadedFile, names, contents)


# --- the database before and after ---------------------------------------------------------

# Bookkeeping that a refused request may touch: counters of failed sign-ins, "read up to",
# the scheduler's and the worker's marks.
ALWAYS_CHANGING = {
    "core.RateLimitBucket",
    "core.WorkerHeartbeat",
    "core.ScheduledRun",
    "messaging.ThreadRead",
    # A derived figure (the days-left forecast) that a screen stores when it computed it.
    "forecast.ClientForecast",
}
EXTRA_MODELS = ("wagtailcore.Page", "wagtailcore.Revision")
# Fields that record when something was looked at, not what it is.
IGNORED_FIELDS = {"last_login", "last_synced_at"}


_QUERIES: dict[str, str] = {}


def _queries() -> dict[str, str]:
    """One plain SELECT per table (built once: the ORM's query building is the slow part)."""
    if not _QUERIES:
        found = [
            m
            for m in apps.get_models()
            if m.__module__.startswith("kabinet.") and not m._meta.proxy
        ]
        found += [apps.get_model(label) for label in EXTRA_MODELS]
        quote = connection.ops.quote_name
        for model in found:
            columns = [
                quote(f.column)
                for f in model._meta.local_concrete_fields
                if f.attname not in IGNORED_FIELDS
            ]
            _QUERIES[model._meta.label] = (
                f"SELECT {', '.join(columns)} FROM {quote(model._meta.db_table)}"
            )
    return _QUERIES


def db_state(allowed: frozenset[str] | set[str] = frozenset()) -> dict[str, tuple[int, str]]:
    """Each table's row count and a checksum of all its rows."""
    state = {}
    with connection.cursor() as cursor:
        for label, sql in _queries().items():
            if label in ALWAYS_CHANGING or label in allowed:
                continue
            cursor.execute(sql)
            rows = sorted(repr(row) for row in cursor.fetchall())
            digest = hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16]
            state[label] = (len(rows), digest)
    return state


def changed(before: dict, after: dict) -> list[str]:
    return sorted(label for label in before if before[label] != after.get(label))


# --- what comes back ------------------------------------------------------------------------

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster"}


class _ScriptFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and not (values.get("src") or "").startswith("/static/"):
            self.problems.append(f"<script> not from /static/: {values}")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler {name}={value!r} on <{tag}>")
            text = "".join((value or "").split()).lower()
            if name in URL_ATTRIBUTES and text.startswith(("javascript:", "vbscript:", "data:")):
                self.problems.append(f"{name}={value!r} on <{tag}>")

    handle_startendtag = handle_starttag


def script_problems(html: str) -> list[str]:
    finder = _ScriptFinder()
    finder.feed(html)
    finder.close()
    return finder.problems


def assert_no_script(response, where: str = "") -> None:
    content_type = response.get("Content-Type", "")
    if "html" not in content_type or getattr(response, "streaming", False):
        return
    problems = script_problems(response.content.decode("utf-8", "replace"))
    assert not problems, f"{where}: {problems}"


def assert_no_script_in_mail(outbox: list) -> None:
    for message in outbox:
        for content, mimetype in getattr(message, "alternatives", []):
            if mimetype == "text/html":
                problems = script_problems(content)
                assert not problems, f"e-mail {message.subject!r}: {problems}"


def error_messages(response) -> list[str]:
    request = getattr(response, "wsgi_request", None)
    if request is None or not hasattr(request, "_messages"):
        return []
    return [str(m) for m in get_messages(request) if m.level >= constants.ERROR]


def success_messages(response) -> list[str]:
    request = getattr(response, "wsgi_request", None)
    if request is None or not hasattr(request, "_messages"):
        return []
    return [str(m) for m in get_messages(request) if m.level == constants.SUCCESS]

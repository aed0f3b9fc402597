"""Loaded by pytest as a plugin (``-p kabinet.testenv``) before Django reads its settings."""

import os

os.environ.setdefault("KABINET_TASKS_BACKEND", "immediate")
os.environ.setdefault("KABINET_MANIFEST_STATIC", "0")
# Browser tests drive Playwright's sync API, which runs an event loop in the test thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# Staff two-factor sign-in is on by default in production; most tests sign staff in with
# force_login and test other things. The tests of two-factor sign-in turn it on themselves.
os.environ.setdefault("KABINET_STAFF_2FA_REQUIRED", "0")

# The demo operator's requisites (invoices, statements), as `make demo` loads them.
_DEMO_ENV = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts", "demo.env"
)
with open(_DEMO_ENV, encoding="utf-8") as _file:
    for _line in _file:
        _name, _sep, _value = _line.rstrip("\n").partition("=")
        if _sep and not _name.startswith("#"):
            os.environ.setdefault(_name.strip(), _value)

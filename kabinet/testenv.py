"""Loaded by pytest as a plugin (``-p kabinet.testenv``) before Django reads its settings."""

import os

os.environ.setdefault("KABINET_TASKS_BACKEND", "immediate")
os.environ.setdefault("KABINET_MANIFEST_STATIC", "0")
# Browser tests drive Playwright's sync API, which runs an event loop in the test thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

"""Start-up stays light: the heavy libraries load only in the code that uses them (issue #15).

A process that serves pages or runs tasks never needs the PDF library, the Telegram bot
library or YooKassa's SDK until it builds a PDF, talks to the bot or calls YooKassa; loaded
at start-up they were some 30 MiB of every process. The check runs in a fresh interpreter:
this test process has long imported everything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

# Imported inside the functions that use them (or by a module imported there). Not listed:
# requests (our HTTP calls import it where they are made, but Wagtail's oEmbed finder loads
# it at start-up) and what Wagtail itself imports.
DEFERRED = (
    "fpdf",  # PDFs: invoices, statements, labelling applications
    "fontTools",  # fpdf's fonts
    "segno",  # QR codes
    "num2words",  # sums in words on documents
    "telebot",  # the Telegram bot (pyTelegramBotAPI)
    "yookassa",  # YooKassa's SDK
)

# What a web server, the task worker and the scheduler import before their first request or
# task: Django's set-up, the WSGI application (middleware), the URLconf with every app's
# views, the template tag libraries, Wagtail's hooks, each app's tasks, periodic jobs and
# health checks.
START_UP = """
import importlib, importlib.util, json, sys
import django
django.setup()
from django.apps import apps
from django.core.wsgi import get_wsgi_application
from django.template import engines
from django.urls import get_resolver
from django.utils.module_loading import import_string
from wagtail import hooks

get_wsgi_application()
get_resolver().url_patterns
engines.all()
hooks.search_for_hooks()
for config in apps.get_app_configs():
    if not config.name.startswith("kabinet."):
        continue
    for name in ("models", "admin", "signals", "receivers", "urls", "tasks", "wagtail_hooks"):
        if importlib.util.find_spec(f"{config.name}.{name}") is not None:
            importlib.import_module(f"{config.name}.{name}")
    for _name, task, _every in getattr(config, "periodic_jobs", ()):
        import_string(task)
    for check in getattr(config, "health_checks", ()):
        import_string(check)
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules} & set(DEFERRED))))
"""


def test_start_up_imports_none_of_the_heavy_libraries(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kabinet.settings",
        "KABINET_VAR_DIR": str(tmp_path),
        # Every payment provider on, as in the demo.
        "KABINET_PAYMENT_PROVIDERS": "kabinet,yookassa,osmp",
    }
    script = f"DEFERRED = {DEFERRED!r}\n" + START_UP
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded == [], f"imported at start-up: {', '.join(loaded)}"

"""Real subprocesses of the project (workers, servers) on the test database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)


def database_url() -> str:
    """The test database as a DATABASE_URL, for a process started by the test."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def manage(env: dict[str, str], *args: str, **kwargs: Any) -> subprocess.Popen:
    """``manage.py <args>`` in its own process, output (stdout and stderr) in a pipe."""
    options: dict[str, Any] = {"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT}
    options.update(kwargs)
    return subprocess.Popen(
        [sys.executable, "-u", "manage.py", *args], cwd=ROOT, env=env, text=True, **options
    )

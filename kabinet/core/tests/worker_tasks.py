"""A task for the worker tests: its first run hangs (to be killed), later runs finish."""

from __future__ import annotations

import time
from pathlib import Path

from django_tasks import task


@task()
def nap(path: str) -> str:
    marker = Path(path)
    runs = int(marker.read_text()) if marker.exists() else 0
    marker.write_text(str(runs + 1))
    if runs == 0:
        time.sleep(300)  # the first run is killed here
    return f"run {runs + 1}"

"""Call details of a big client: the bench client's last full month holds 50,000 calls
(generate_dataset); its calls page is measured with wrk (pages.py), its CSV export here, in
a process of its own, for the time to stream the whole file and the memory it took."""

from __future__ import annotations

import json
import subprocess
from typing import Any

from .harness import PY, ROOT, Row, log

CSV_AIM_SECONDS = 3.0
CSV_AIM_MIB = 150.0

# Run in a fresh interpreter: its peak memory is the export's, not the bench's own (VmHWM:
# ru_maxrss would start from the bench process's own size, which Linux carries over at exec).
_EXPORT = """
import json, sys, time
import django
from bench.measured import peak_kib
django.setup()
from django.test import Client
from kabinet.accounts.models import User
month = sys.argv[1]
user = User.objects.get(email="bench-client@kabinet.test")
browser = Client(HTTP_HOST="127.0.0.1")
browser.force_login(user)
browser.get("/cabinet/")  # everything imported and warm before the baseline is read
before = peak_kib()
started = time.monotonic()
response = browser.get("/cabinet/calls/export.csv", {"month": month})
size = lines = 0
for chunk in response.streaming_content:
    size += len(chunk)
    lines += chunk.count(b"\\n")
seconds = time.monotonic() - started
peak = peak_kib()
print(json.dumps({
    "status": response.status_code, "seconds": round(seconds, 2), "bytes": size,
    "lines": lines, "peak_mb": round(peak / 1024, 1), "grew_mb": round((peak - before) / 1024, 1),
}))
"""


def last_full_month() -> str:
    from django.utils import timezone

    from kabinet.calls import partitions

    year, month = partitions.add_months(partitions.month_of(timezone.now()), -1)
    return f"{year:04d}-{month:02d}"


def calls_in(month: str) -> int:
    from kabinet.accounts.models import User
    from kabinet.calls import partitions
    from kabinet.calls.models import Call

    year, number = (int(part) for part in month.split("-"))
    start = partitions.month_start((year, number))
    end = partitions.month_start(partitions.add_months((year, number), 1))
    client = User.objects.get(email="bench-client@kabinet.test").membership.client
    return Call.objects.filter(client=client, started_at__gte=start, started_at__lt=end).count()


def csv_export_row(env: dict[str, str]) -> Row:
    month = last_full_month()
    count = calls_in(month)
    log(f"CSV export of the bench client's {month}: {count} calls")
    result = subprocess.run(
        [PY, "-c", _EXPORT, month],
        env={**env, "DJANGO_SETTINGS_MODULE": "kabinet.settings", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"the CSV export failed:\n{result.stderr}")
    figures: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    if figures["status"] != 200:
        raise SystemExit(f"the CSV export answered {figures['status']}")
    log(f"CSV export: {figures}")
    seconds = max(figures["seconds"], 0.001)
    return Row(
        f"client cabinet: CSV export of a month, {count} calls (s)",
        figures["seconds"],
        None,
        round(CSV_AIM_SECONDS / seconds, 3),
        1.0,
        {
            **figures,
            "calls": count,
            "note": (
                f"{figures['bytes'] / 2**20:.1f} MiB of CSV; the exporting process peaked at "
                f"{figures['peak_mb']:.0f} MiB, {figures['grew_mb']:.0f} MiB of it during the "
                f"export (aims: {CSV_AIM_SECONDS:.0f} s, {CSV_AIM_MIB:.0f} MiB)"
            ),
        },
    )

"""The scheduled forecast and low-balance alert pass over every client, timed in-process,
with its peak memory (the issue's aim: 100,000 clients in 60 s or less, flat memory)."""

from __future__ import annotations

import resource
import time

from .harness import Row, log


def forecast_pass_row() -> Row:
    from kabinet.accounts.models import Client
    from kabinet.forecast.models import AlertPolicy, ClientForecast
    from kabinet.forecast.services import forecast_pass

    # Every run measures a first pass (all forecasts new, every low balance alerted), the
    # heaviest the scheduler meets, whatever earlier runs left in the bench database.
    AlertPolicy.objects.all().delete()
    ClientForecast.objects.all().delete()
    log("forecast pass over every client")
    clients = Client.objects.exclude(status="closed").count()
    before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    result = forecast_pass()
    seconds = time.monotonic() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    grew_mb = max(0.0, peak_mb - before_kb / 1024)
    log(f"forecast pass: {result} in {seconds:.1f} s, peak {peak_mb:.0f} MiB")
    return Row(
        f"forecast and alert pass, {clients} clients (s)",
        round(seconds, 2),
        None,
        round(60 / max(seconds, 0.001), 3),
        1.0,
        {
            "seconds": round(seconds, 2),
            "clients": result.clients,
            "alerts": result.alerts,
            "peak_mb": round(peak_mb, 1),
            "note": f"{result.alerts} alerts; the process grew by {grew_mb:.0f} MiB",
        },
    )

"""`make bench`: Kabinet's speed on PostgreSQL with a large generated dataset.

Every HTTP figure is wrk against gunicorn, as requests per second and p99 latency, and as a
ratio to a bare Django view (bench/bare.py) served by the same gunicorn command in the same
run. The results go to bench/results.json and the README's table.

Each figure has its module (pages, signed, tariffs, exchange); harness.py holds what they
share. Steps: a PostgreSQL database ``kabinet_bench`` (kept between runs; ``--fresh`` rebuilds it)
is migrated, seeded with the demo site and ``generate_dataset``; keys of a gateway and a
billing peer are made for the bench; gunicorn serves the site and the bare view; wrk runs
each target; the signed endpoints replay pre-signed requests (with duplicates) and the
ledger is checked for double credits afterwards; the tariff change and the billing
exchange run in-process / as commands and are timed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from . import calls, exchange, forecast, pages, signed, tariffs
from .harness import (
    BARE_PORT,
    ROOT,
    SITE_PORT,
    TMP,
    Row,
    bench_env,
    django_setup,
    ensure_keys,
    log,
    machine,
    prepare_database,
    start_server,
    stop_server,
    table,
    update_readme,
    wrk,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--exchange-records", type=int, default=1_000_000)
    parser.add_argument(
        "--call-records",
        type=int,
        default=1_000_000,
        help="call details in the imported package (issue #15 aims at 10,000,000)",
    )
    parser.add_argument("--fresh", action="store_true", help="rebuild the bench database")
    parser.add_argument("--no-readme", action="store_true", help="do not update README.md")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kabinet_bench"
        ),
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
    )
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.json"))
    parser.add_argument(
        "--only",
        choices=["forecast"],
        help="measure this in-process figure again and replace its row in the last results",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: `apt-get install wrk` (make bench installs it)")
    TMP.mkdir(parents=True, exist_ok=True)
    env = bench_env(args)
    ensure_keys(env)
    prepare_database(args, env)
    subprocess.run(["redis-cli", "-u", args.redis_url, "FLUSHDB"], capture_output=True)
    django_setup(env)
    if args.only:
        remeasure(args, forecast.forecast_pass_row())
        return

    site = start_server("site", "kabinet.wsgi", SITE_PORT, env, args.workers)
    bare = start_server("bare", "bench.bare:application", BARE_PORT, env, args.workers)
    rows: list[Row] = []
    try:
        base = f"http://127.0.0.1:{SITE_PORT}"
        wrk(f"http://127.0.0.1:{BARE_PORT}/", duration=2, connections=args.connections)
        bare_result = wrk(
            f"http://127.0.0.1:{BARE_PORT}/", duration=args.duration, connections=args.connections
        )
        baseline = bare_result["rps"]
        log(f"bare Django view: {baseline:.0f} rps, p99 {bare_result['p99_ms']} ms")

        rows.extend(pages.page_rows(base, baseline, args))
        rows.extend(signed.signed_rows(baseline, args))
    finally:
        stop_server(site)
        stop_server(bare)
    rows.append(calls.csv_export_row(env))
    rows.append(tariffs.tariff_change_row())
    rows.append(forecast.forecast_pass_row())

    sizes = sorted({min(100_000, args.exchange_records), args.exchange_records})
    rows.extend(exchange.exchange_rows(env, sizes))
    rows.append(exchange.calls_import_row(env, args.call_records))

    results = {
        "machine": machine(),
        "taken_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "clients": args.clients,
        "gunicorn_workers": args.workers,
        "wrk": f"2 threads, {args.connections} connections, {args.duration} s per figure",
        "baseline_rps": round(baseline, 1),
        "baseline_p99_ms": bare_result["p99_ms"],
        "results": [row.as_json() for row in rows],
    }
    Path(args.out).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    text = (
        f"Taken {results['taken_at']} on {results['machine']}; {args.clients:,} clients; "
        f"gunicorn with {args.workers} sync workers; wrk {results['wrk']}; "
        f"bare Django view {baseline:.0f} rps.\n\n{table(rows)}"
    ).replace(",", ",")
    print()
    print(text)
    if not args.no_readme:
        update_readme(text)
    log(f"results written to {args.out}")


def remeasure(args: argparse.Namespace, row: Row) -> None:
    """Replace one in-process figure's row in the last results (it has no ratio to the bare
    view, so the rest of the run stays comparable); the row says when it was taken."""
    results = json.loads(Path(args.out).read_text())
    taken = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    row.extra["note"] = f"{row.extra.get('note', '')} (measured again {taken})".strip()
    prefix = row.name.split(",")[0]
    kept = [r for r in results["results"] if not r["name"].startswith(prefix)]
    position = next(
        (i for i, r in enumerate(results["results"]) if r["name"].startswith(prefix)), len(kept)
    )
    kept.insert(position, row.as_json())
    results["results"] = kept
    Path(args.out).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    rows = [
        Row(
            r["name"],
            r["rps"],
            r["p99_ms"],
            r["ratio"],
            r["aim"],
            {"note": r.get("note", "")},
        )
        for r in kept
    ]
    text = (
        f"Taken {results['taken_at']} on {results['machine']}; {results['clients']:,} clients; "
        f"gunicorn with {results['gunicorn_workers']} sync workers; wrk {results['wrk']}; "
        f"bare Django view {results['baseline_rps']:.0f} rps.\n\n{table(rows)}"
    )
    print(text)
    if not args.no_readme:
        update_readme(text)


if __name__ == "__main__":
    main()

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kabinet.demo.dataset import (
    BENCH_PASSWORD,
    BENCH_PER_MONTH,
    BENCH_TARIFF_SUBSCRIPTIONS,
    FIRST_CONTRACT,
    MAX_PAYMENTS_PER_CLIENT,
    DatasetExists,
    dataset_generate,
)


class Command(BaseCommand):
    help = (
        "Fill the database with a large, realistic dataset for the benchmarks: clients "
        f"(contracts from {FIRST_CONTRACT} on) with their users, subscriptions, requests, "
        "threads, payments, ledger, notifications and a billing exchange history, written in "
        "bulk in one transaction. Refuses a database that already has a dataset unless "
        "--append is given. Bench logins (password "
        f"{BENCH_PASSWORD}): bench-manager@kabinet.test (a manager) and "
        "bench-client@kabinet.test (the administrator of a client of typical volume); the "
        f"public tariff 'local-office' gets {BENCH_TARIFF_SUBSCRIPTIONS} active subscriptions "
        "(fewer when there are fewer than 100000 clients: one client in five). Works on an "
        "empty migrated database and after seed_demo."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clients", type=int, default=100_000, help="clients to add")
        parser.add_argument(
            "--payments-per-client", type=int, default=10, help="payments of each client"
        )
        parser.add_argument("--seed", type=int, default=1, help="same seed, same data")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=1000,
            help="clients generated and written at a time (memory stays flat)",
        )
        parser.add_argument(
            "--append",
            action="store_true",
            help="add clients after an existing dataset instead of refusing",
        )
        parser.add_argument(
            "--bench-calls-per-month",
            type=int,
            default=BENCH_PER_MONTH,
            help="calls a month of the bench client (make bench: 50000)",
        )
        parser.add_argument(
            "--no-copy",
            action="store_true",
            help="on PostgreSQL, write with bulk_create instead of COPY (for comparison)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        clients, per_client = options["clients"], options["payments_per_client"]
        if clients < 1:
            raise CommandError("--clients must be at least 1.")
        if not 0 <= per_client <= MAX_PAYMENTS_PER_CLIENT:
            raise CommandError(f"--payments-per-client must be 0…{MAX_PAYMENTS_PER_CLIENT}.")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        verbose = options["verbosity"] >= 1

        def progress(done: int, total: int, seconds: float) -> None:
            if verbose and (done == total or done % 10_000 < options["batch_size"]):
                self.stdout.write(f"  {done}/{total} clients, {seconds:.0f} s")

        try:
            report = dataset_generate(
                clients=clients,
                payments_per_client=per_client,
                seed=options["seed"],
                batch_size=options["batch_size"],
                append=options["append"],
                use_copy=False if options["no_copy"] else None,
                progress=progress,
                bench_calls_per_month=options["bench_calls_per_month"],
            )
        except DatasetExists as exc:
            raise CommandError(str(exc)) from exc
        if not verbose:
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {report.clients} clients ({report.first_contract}–"
                f"{report.last_contract}) in {report.seconds:.0f} s with {report.method}."
            )
        )
        width = max(len(label) for label in report.counts)
        detail = options["verbosity"] >= 2
        for label, count in report.counts.items():
            line = f"  {label:{width}} {count:>10}"
            if detail:
                line += f"  written in {report.write_seconds[label]:6.1f} s"
            self.stdout.write(line)
        self.stdout.write(f"  {'rows in total':{width}} {sum(report.counts.values()):>10}")
        if detail:
            self.stdout.write(f"  commit: {report.commit_seconds:.1f} s")
        self.stdout.write(
            f"Billing outbox: {report.pending_outbox} records wait for the next export."
        )
        self.stdout.write(f"Bench logins (password {report.password}):")
        self.stdout.write(f"  manager  {report.bench_manager}")
        if report.bench_client:
            self.stdout.write(
                f"  client   {report.bench_client} (contract {report.bench_contract})"
            )
        self.stdout.write(
            f"Bench tariff: id {report.bench_tariff_id}, code {report.bench_tariff_code}, "
            f"{report.bench_tariff_subscriptions} active subscriptions"
        )
        self.stdout.write(f"Terminal payments contract: {report.terminal_contract}")

"""``manage.py exchange export [--out FILE]`` and ``manage.py exchange import FILE``."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kabinet.exchange.services import exchange_export, exchange_import


class Command(BaseCommand):
    help = "Billing exchange packages (specs/billing-exchange.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="write the next website→billing package")
        export.add_argument("--out", type=Path, default=None, help="also copy it here")
        imp = sub.add_parser("import", help="import one billing→website package")
        imp.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "export":
            self._export(options["out"])
        else:
            self._import(options["file"], options["verbosity"])

    def _export(self, out: Path | None) -> None:
        package = exchange_export(actor=None)
        path = Path(package.file.path)
        if out is not None:
            with package.file.open("rb") as source, out.open("wb") as target:
                shutil.copyfileobj(source, target)
            path = out
        self.stdout.write(f"{path} sequence {package.sequence} records {package.record_count}")

    def _import(self, file: Path, verbosity: int) -> None:
        def progress(done: int) -> None:
            if verbosity >= 2 and done % 10_000 == 0:
                self.stdout.write(f"applying: {done} records", ending="\n")
                self.stdout.flush()

        try:
            handle = file.open("rb")
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from exc
        with handle:
            result = exchange_import(
                actor=None, file=handle, file_name=file.name, progress=progress
            )
        if not result.ok:
            self.stderr.write(f"package {file.name} rejected:\n{result.report}")
            raise SystemExit(1)
        self.stdout.write(f"{file.name}: {result.outcome} (sequence {result.sequence})")
        if result.outcome != "already imported":
            self.stdout.write(result.report)

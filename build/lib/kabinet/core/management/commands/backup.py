from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kabinet.core.backup import BackupError, database_backup


class Command(BaseCommand):
    help = "Back up the database to a file (SQLite: online copy; PostgreSQL: pg_dump -Fc)."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="The backup file to write (new).")

    def handle(self, *args, **options):
        try:
            out = database_backup(out=Path(options["out"]))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"backup written to {out} ({out.stat().st_size} bytes)")

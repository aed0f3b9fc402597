from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kabinet.core.backup import BackupError, database_restore


class Command(BaseCommand):
    help = (
        "Replace the database's content with a backup made by `manage.py backup`. "
        "Stop the site, the worker and the scheduler first."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The backup file.")
        parser.add_argument(
            "--yes", action="store_true", help="Do not ask: everything in the database is replaced."
        )

    def handle(self, *args, **options):
        if not options["yes"]:
            answer = input("Everything in the database is replaced by the backup. Go on? [y/N] ")
            if answer.strip().lower() not in {"y", "yes"}:
                raise CommandError("restore cancelled; nothing changed")
        try:
            database_restore(source=Path(options["file"]))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"restored from {options['file']}")

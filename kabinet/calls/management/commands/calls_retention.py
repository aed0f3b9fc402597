from django.core.management.base import BaseCommand

from kabinet.calls.partitions import calls_retention, retention_cutoff


class Command(BaseCommand):
    help = "Drop call details older than KABINET_CALLS_RETENTION_MONTHS (default 36)."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("--months", type=int, default=None, help="override the setting")

    def handle(self, *args: object, **options: object) -> None:
        months = options["months"]
        assert months is None or isinstance(months, int)
        if months is not None and months < 1:
            self.stderr.write("--months must be at least 1")
            raise SystemExit(2)
        result = calls_retention(months=months)
        self.stdout.write(
            f"calls before {retention_cutoff(months).isoformat()}: "
            f"{result['partitions_dropped']} partitions dropped, "
            f"{result['calls_deleted']} rows deleted"
        )

from django.core.management.base import BaseCommand

from kabinet.calls.partitions import is_partitioned, partitions_ahead


class Command(BaseCommand):
    help = "Create the monthly partitions of the calls table ahead (PostgreSQL only)."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("--ahead", type=int, default=3)
        parser.add_argument("--behind", type=int, default=3)

    def handle(self, *args: object, **options: object) -> None:
        if not is_partitioned():
            self.stdout.write("not PostgreSQL: the calls table has no partitions")
            return
        ahead, behind = options["ahead"], options["behind"]
        assert isinstance(ahead, int) and isinstance(behind, int)
        made = partitions_ahead(behind=behind, ahead=ahead)
        self.stdout.write(f"created {len(made)} partitions" + "".join(f"\n  {n}" for n in made))

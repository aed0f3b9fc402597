from django.core.management.base import BaseCommand

from kabinet.accounts.models import Client
from kabinet.calls.days import days_rebuild


class Command(BaseCommand):
    help = (
        "Add up the per-day totals of the calls again from the stored calls (every client's, "
        "or the contracts named). The import keeps them; this is for checking or repairing."
    )

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("contracts", nargs="*", help="contract numbers (default: all)")

    def handle(self, *args: object, **options: object) -> None:
        contracts = options["contracts"]
        assert isinstance(contracts, list)
        ids = None
        if contracts:
            found = dict(
                Client.objects.filter(contract_number__in=contracts).values_list(
                    "contract_number", "pk"
                )
            )
            unknown = sorted(set(contracts) - set(found))
            if unknown:
                self.stderr.write(f"unknown contracts: {', '.join(unknown)}; nothing changed")
                raise SystemExit(2)
            ids = list(found.values())
        cells = days_rebuild(ids)
        self.stdout.write(f"{cells} day totals written")

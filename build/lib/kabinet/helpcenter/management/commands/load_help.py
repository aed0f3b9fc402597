from django.core.management.base import BaseCommand

from kabinet.helpcenter.services import help_load


class Command(BaseCommand):
    help = (
        "Load the shipped help articles: adds what is missing and updates the articles no "
        "person has edited; never overwrites editors' changes."
    )

    def handle(self, *args, **options):
        added = help_load()
        self.stdout.write(
            f"help: {added['indexes']} cabinets, {added['articles']} articles added, "
            f"{added['updated']} updated to the shipped text"
        )

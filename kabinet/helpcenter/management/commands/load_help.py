from django.core.management.base import BaseCommand

from kabinet.helpcenter.services import help_load


class Command(BaseCommand):
    help = (
        "Load the shipped help articles. Adds what is missing; never overwrites editors' changes."
    )

    def handle(self, *args, **options):
        added = help_load()
        self.stdout.write(f"help: {added['indexes']} cabinets, {added['articles']} articles added")

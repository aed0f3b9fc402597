from django.core.management.base import BaseCommand

from kabinet.accounts.roles import roles_setup


class Command(BaseCommand):
    help = "Create the staff groups (editors, managers, administrators) and their permissions."

    def handle(self, *args, **options):
        groups = roles_setup()
        self.stdout.write(f"Groups ready: {', '.join(sorted(groups))}")

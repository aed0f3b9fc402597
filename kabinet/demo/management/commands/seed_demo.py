from django.core.management.base import BaseCommand

from kabinet.demo.seed import DEMO_PASSWORD, demo_logins, seed_demo


class Command(BaseCommand):
    help = "Load the demo operator (idempotent: run it any number of times)."

    def handle(self, *args, **options):
        summary = seed_demo()
        for line in summary:
            self.stdout.write(line)
        self.stdout.write(
            self.style.SUCCESS(f"Demo data is ready. Logins (password {DEMO_PASSWORD}):")
        )
        for login, role in demo_logins():
            self.stdout.write(f"  {login:32} {role}")

import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from kabinet.core.scheduler import scheduler_tick


class Command(BaseCommand):
    help = "Queue periodic jobs when they are due (run one beside the task worker)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=15.0, help="Seconds between checks.")
        parser.add_argument("--once", action="store_true", help="Check once and exit.")

    def handle(self, *args, **options):
        while True:
            close_old_connections()
            try:
                queued = scheduler_tick()
            except Exception as exc:
                self.stderr.write(f"scheduler: {type(exc).__name__}: {exc}")
            else:
                if queued:
                    self.stdout.write(f"queued: {', '.join(queued)}")
            if options["once"]:
                return
            time.sleep(options["interval"])

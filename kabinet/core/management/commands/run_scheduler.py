import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.utils.module_loading import import_string

from kabinet.core.scheduler import jobs, scheduler_tick


class Command(BaseCommand):
    help = "Queue periodic jobs when they are due (run one beside the task worker)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=15.0, help="Seconds between checks.")
        parser.add_argument("--once", action="store_true", help="Check once and exit.")
        parser.add_argument(
            "--now",
            metavar="JOB",
            help="Queue this periodic job at once (e.g. forecast.pass) for the worker, and exit.",
        )

    def handle(self, *args, **options):
        if options["now"]:
            found = {job.name: job for job in jobs()}
            job = found.get(options["now"])
            if job is None:
                raise CommandError(
                    f"No periodic job {options['now']!r}; there are: {', '.join(sorted(found))}"
                )
            import_string(job.task).enqueue()
            self.stdout.write(f"queued: {job.name}")
            return
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

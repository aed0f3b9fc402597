from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kabinet.lib.signing import generate_key_pair


class Command(BaseCommand):
    help = (
        "Manage the website's Ed25519 signing key. "
        "`keys generate` writes a pair and prints its key id."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["generate"])
        parser.add_argument(
            "--out",
            help="Private key file to write (default: KABINET_SITE_PRIVATE_KEY); "
            "the public key goes beside it as <name>.pub.pem.",
        )
        parser.add_argument("--force", action="store_true", help="Replace an existing key.")

    def handle(self, *args, **options):
        target = Path(options["out"] or settings.KABINET_SITE_PRIVATE_KEY)
        if target.suffix != ".pem":
            raise CommandError("The key file name must end in .pem")
        private, public, kid = generate_key_pair(target.parent, target.stem, force=options["force"])
        self.stdout.write(f"key id: {kid}\nprivate key: {private}\npublic key: {public}")

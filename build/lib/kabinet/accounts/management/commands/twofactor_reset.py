"""Turn off a user's second factor from the command line (staff who lost phone and codes)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kabinet.accounts.models import User
from kabinet.accounts.twofactor import twofactor_reset


class Command(BaseCommand):
    help = "Reset (turn off) a user's two-factor sign-in; audited, and the user is notified."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--reason", required=True, help="why; the user sees it")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email__iexact=options["email"].strip()).first()
        if user is None:
            raise CommandError(f"No user with the e-mail {options['email']}")
        try:
            twofactor_reset(actor=None, user=user, reason=options["reason"])
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"Two-factor sign-in of {user.email} is reset.")

from django.http import HttpRequest

from kabinet.accounts.models import User


class AuthedHttpRequest(HttpRequest):
    """A request under a cabinet prefix: the access middleware guarantees a signed-in user."""

    user: User  # type: ignore[assignment]

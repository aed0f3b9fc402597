from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db.models import QuerySet
from django.http import HttpRequest

from kabinet.lib.prepared import prepared
from kabinet.notifications.selectors import unread_of_user

from .models import User


@prepared
def _signed_in(user_id: int) -> QuerySet[User]:
    return (
        User._default_manager.select_related("membership__client__manager")
        .annotate(unread_notifications=unread_of_user())
        .filter(pk=user_id)[:1]
    )


class EmailBackend(ModelBackend):
    """Logs in by e-mail, case-insensitively."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        email = username or kwargs.get("email")
        if not email or not password:
            return None
        try:
            user = User.objects.get(email__iexact=email.strip())
        except User.DoesNotExist:
            # Hash anyway so that timing does not reveal which e-mails exist.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id: Any) -> User | None:
        """The signed-in user of every request, with a client's company in the same query:
        the access guard, the layout and most cabinet views read ``user.membership.client``
        (two more queries on every page otherwise), and the bell's unread count
        (``user.unread_notifications``; a view that marks notifications read refreshes it)."""
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        users = _signed_in.models(user_id=pk) if 0 < pk < 2**63 else []
        if not users:
            return None
        user = users[0]
        return user if self.user_can_authenticate(user) else None

from __future__ import annotations

from django.db.models import BooleanField, Case, Count, F, OuterRef, Q, QuerySet, Subquery, When

from kabinet.accounts.models import User

from .models import Thread, ThreadRead


def threads_seen_by(user: User, qs: QuerySet[Thread] | None = None) -> QuerySet[Thread]:
    """Threads with ``my_read_at`` and ``unread`` for this user, and the message count."""
    qs = Thread.objects.all() if qs is None else qs
    read_at = ThreadRead.objects.filter(thread=OuterRef("pk"), user=user).values("read_at")[:1]
    return qs.annotate(
        my_read_at=Subquery(read_at),
        message_count=Count("messages"),
    ).annotate(
        unread=Case(
            When(Q(my_read_at__isnull=True) | Q(last_message_at__gt=F("my_read_at")), then=True),
            default=False,
            output_field=BooleanField(),
        )
    )

"""Reads every signed-in page makes: the unread count and the newest notifications, each
compiled once per process (``kabinet.lib.prepared``)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from kabinet.lib.prepared import prepared

from .models import Notification


def _unread_counts(user_id: Any) -> QuerySet[Notification, Any]:
    """The unread count of ``user_id`` (an id, or ``OuterRef("pk")`` in a user query)."""
    return (
        Notification.objects.filter(user_id=user_id, read_at__isnull=True)
        .order_by()
        .values("user_id")
        .annotate(count=Count("id"))
        .values("count")
    )


@prepared
def _unread(user_id: int) -> QuerySet[Notification, Any]:
    return _unread_counts(user_id)


@prepared
def _latest(user_id: int) -> QuerySet[Notification]:
    return Notification.objects.filter(user_id=user_id)[:5]


def unread_of_user() -> Coalesce:
    """The unread count as an annotation of a user query: the signed-in user is read with
    it, one query for both on every page."""
    return Coalesce(Subquery(_unread_counts(OuterRef("pk")), output_field=IntegerField()), 0)


def unread_count(user_id: int) -> int:
    """The user's notifications not read yet (the bell's and the menu's figure)."""
    rows = _unread.values(user_id=user_id)
    return int(rows[0]["count"]) if rows else 0


def latest(user_id: int) -> list[Notification]:
    """The user's five newest notifications (the cabinet home's list)."""
    return _latest.models(user_id=user_id)

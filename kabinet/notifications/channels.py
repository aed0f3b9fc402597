"""Notices on the channels beyond the cabinet and e-mail (SMS; Telegram next): each a
``Delivery`` row, queued after the notice's transaction commits, sent by a task, retried
with back-off, and failed for good after KABINET_DELIVERY_MAX_ATTEMPTS or an error that
retrying cannot fix. A failing channel never holds up the others: each delivery is its own
row and its own attempt."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kabinet.core.tasks import enqueue_on_commit

from . import sms
from .models import (
    Channel,
    Delivery,
    DeliveryStatus,
    MobilePhone,
    Notification,
    NotificationPreference,
)

if TYPE_CHECKING:
    from kabinet.accounts.models import User

RETRY_DELAYS = [60, 300, 900, 3600, 3 * 3600, 6 * 3600]


def sms_text(notification: Notification) -> str:
    """The SMS for a notice: the operator, the title and the link; at most two messages.
    Notices never carry secrets (codes and links to set passwords go by e-mail only)."""
    link = f"{settings.SITE_URL}{notification.url}" if notification.url.startswith("/") else ""
    head = f"{settings.KABINET_OPERATOR_NAME}: {notification.title}"
    if link and sms.segments(f"{head} {link}") <= sms.MAX_SEGMENTS:
        return f"{head} {link}"
    return sms.fit(head)


def deliveries_create(
    notifications: Iterable[Notification], users: list[User], category: str
) -> list[int]:
    """Queue the SMS of the notices whose users want this category by SMS and have a
    confirmed number (2 queries, whatever the number of users)."""
    notifications = list(notifications)
    wanted = set(
        NotificationPreference.objects.filter(
            user__in=users, category=category, by_sms=True
        ).values_list("user_id", flat=True)
    )
    if not wanted:
        return []
    phones = dict(
        MobilePhone.objects.filter(user_id__in=wanted, confirmed_at__isnull=False).values_list(
            "user_id", "number"
        )
    )
    now = timezone.now()
    rows = [
        Delivery(
            notification=n,
            channel=Channel.SMS,
            address=phones[n.user_id],
            text=sms_text(n),
            next_attempt_at=now,
            created_at=now,
        )
        for n in notifications
        if n.user_id in phones
    ]
    created = Delivery.objects.bulk_create(rows)
    ids = [d.pk for d in created]
    for start in range(0, len(ids), 500):
        enqueue_on_commit("kabinet.notifications.tasks.send_deliveries", ids[start : start + 500])
    return ids


def delivery_send(*, delivery_id: int) -> bool:
    """One attempt at one delivery; safe to call twice (a sent one is not sent again)."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update()
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING)
            .first()
        )
        if delivery is None:
            return False
        delivery.attempts += 1
        try:
            sent = sms.backend().send(delivery.address, delivery.text)
        except sms.SmsError as exc:
            delivery.last_error = exc.message[:500]
            delivery.answer = exc.answer[:2000]
            if exc.permanent or delivery.attempts >= settings.KABINET_DELIVERY_MAX_ATTEMPTS:
                delivery.status = DeliveryStatus.FAILED
                delivery.next_attempt_at = None
            else:
                delay = RETRY_DELAYS[min(delivery.attempts - 1, len(RETRY_DELAYS) - 1)]
                delivery.next_attempt_at = timezone.now() + timedelta(seconds=delay)
            delivery.save()
            return False
        delivery.status = DeliveryStatus.SENT
        delivery.sent_at = timezone.now()
        delivery.next_attempt_at = None
        delivery.provider_id = sent.provider_id
        delivery.answer = sent.answer[:2000]
        delivery.last_error = ""
        delivery.save()
        return True


def deliveries_retry_due(*, limit: int = 500) -> int:
    due = list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(delivery_send(delivery_id=pk) for pk in due)

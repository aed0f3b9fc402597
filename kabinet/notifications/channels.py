"""Notices on the channels beyond the cabinet and e-mail (SMS and Telegram): each a
``Delivery`` row, queued after the notice's transaction commits, sent by a task, retried
with back-off, and failed for good after KABINET_DELIVERY_MAX_ATTEMPTS or an error that
retrying cannot fix. A failing channel never holds up the others: each delivery is its own
row and its own attempt."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from kabinet.core.tasks import enqueue_on_commit

from . import sms, telegram
from .models import (
    Channel,
    Delivery,
    DeliveryStatus,
    MobilePhone,
    Notification,
    NotificationPreference,
    TelegramLink,
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


def telegram_text(notification: Notification) -> str:
    """A bot message: the title, the text and the link to the cabinet (plain text)."""
    parts = [notification.title]
    if notification.body:
        body = notification.body.strip()
        parts.append(body if len(body) <= 1500 else body[:1500].rstrip() + "…")
    if notification.url.startswith("/"):
        parts.append(f"{settings.SITE_URL}{notification.url}")
    return "\n\n".join(parts)[: telegram.MAX_TEXT]


def deliveries_create(
    notifications: Iterable[Notification],
    users: list[User],
    category: str,
    *,
    wanted: list[tuple[int, bool, bool]] | None = None,
) -> list[int]:
    """Queue the SMS and Telegram messages of the notices whose users want this category
    there and have a confirmed number / a linked chat (3 queries, whatever the number of
    users; none when the caller read the choices, ``wanted``: (user id, by SMS, by Telegram),
    and nobody wants either)."""
    notifications = list(notifications)
    if wanted is None:
        wanted = list(
            NotificationPreference.objects.filter(user__in=users, category=category)
            .filter(models.Q(by_sms=True) | models.Q(by_telegram=True))
            .values_list("user_id", "by_sms", "by_telegram")
        )
    if not wanted:
        return []
    by_sms = [user_id for user_id, sms_on, _tg in wanted if sms_on]
    by_telegram = [user_id for user_id, _sms, tg_on in wanted if tg_on]
    phones = (
        dict(
            MobilePhone.objects.filter(user_id__in=by_sms, confirmed_at__isnull=False).values_list(
                "user_id", "number"
            )
        )
        if by_sms
        else {}
    )
    chats = (
        dict(TelegramLink.objects.filter(user_id__in=by_telegram).values_list("user_id", "chat_id"))
        if by_telegram
        else {}
    )
    now = timezone.now()
    rows = []
    for n in notifications:
        if n.user_id in phones:
            rows.append(
                Delivery(
                    notification=n,
                    channel=Channel.SMS,
                    address=phones[n.user_id],
                    text=sms_text(n),
                    next_attempt_at=now,
                    created_at=now,
                )
            )
        if n.user_id in chats:
            rows.append(
                Delivery(
                    notification=n,
                    channel=Channel.TELEGRAM,
                    address=str(chats[n.user_id]),
                    text=telegram_text(n),
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    if not rows:
        return []
    created = Delivery.objects.bulk_create(rows)
    ids = [d.pk for d in created]
    for start in range(0, len(ids), 500):
        enqueue_on_commit("kabinet.notifications.tasks.send_deliveries", ids[start : start + 500])
    return ids


def _send(delivery: Delivery) -> sms.Sent | telegram.Sent:
    if delivery.channel == Channel.TELEGRAM:
        return telegram.send(delivery.address, delivery.text)
    return sms.backend().send(delivery.address, delivery.text)


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
            sent = _send(delivery)
        except (sms.SmsError, telegram.TelegramError) as exc:
            delivery.last_error = exc.message[:500]
            delivery.answer = exc.answer[:2000]
            if exc.permanent or delivery.attempts >= settings.KABINET_DELIVERY_MAX_ATTEMPTS:
                delivery.status = DeliveryStatus.FAILED
                delivery.next_attempt_at = None
            else:
                delay = RETRY_DELAYS[min(delivery.attempts - 1, len(RETRY_DELAYS) - 1)]
                delay = max(delay, getattr(exc, "retry_after", 0))
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

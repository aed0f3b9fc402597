from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.functional import Promise

from kabinet.core.tasks import enqueue_on_commit

from . import channels
from .models import Category, EmailStatus, Notification, NotificationPreference

if TYPE_CHECKING:
    # The type only: notifications sit below accounts and reach users through
    # AUTH_USER_MODEL (see the layer order in the README).
    from kabinet.accounts.models import User

# Seconds to wait before each retry of a failed e-mail.
RETRY_DELAYS = [60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600]

Text = str | Promise


def _render(text: Text, params: Mapping[str, Any] | None) -> str:
    """A translated template gets the params; any other text (what a person wrote, such
    as a comment or a message) is shown as written, even with ``%`` in it."""
    rendered = str(text)
    return rendered % params if params and isinstance(text, Promise) else rendered


def notification_send(
    *,
    users: Iterable[User],
    category: str,
    title: Text,
    body: Text = "",
    params: Mapping[str, Any] | None = None,
    url: str = "",
    email: bool = True,
    batch: str = "",
) -> list[Notification]:
    """Notify users in the cabinet and, where they want it, by e-mail, SMS and Telegram.

    ``title`` and ``body`` may be lazy translations with ``%(name)s`` placeholders: each
    user gets them in their own language. Plain strings are never formatted.
    """
    return notification_send_many(
        [Notice(users=list(users), title=title, body=body, params=params, url=url)],
        category=category,
        email=email,
        batch=batch,
    )


@dataclass
class Notice:
    """One notice to some users (``notification_send_many`` sends many in one go)."""

    users: list[User]
    title: Text
    body: Text = ""
    params: Mapping[str, Any] | None = None
    url: str = ""


def notification_send_many(
    notices: list[Notice], *, category: str, email: bool = True, batch: str = ""
) -> list[Notification]:
    """Many different notices of one category at once, in a fixed number of queries
    (the low-balance pass alerts thousands of companies per run)."""
    assert category in Category.values, category
    everyone = {u.pk: u for notice in notices for u in notice.users if u.is_active}
    if not everyone:
        return []
    # One read of the users' choices for the category serves e-mail, SMS and Telegram.
    choices = list(
        NotificationPreference.objects.filter(
            user_id__in=list(everyone), category=category
        ).values_list("user_id", "by_email", "by_sms", "by_telegram")
    )
    opted_out = {user_id for user_id, by_email, _sms, _tg in choices if not by_email}
    elsewhere = [(user_id, sms, tg) for user_id, _email, sms, tg in choices if sms or tg]
    now = timezone.now()
    notifications = []
    for notice in notices:
        for user in notice.users:
            if not user.is_active:
                continue
            with translation.override(user.language):
                wants_email = email and user.id not in opted_out
                notifications.append(
                    Notification(
                        user=user,
                        category=category,
                        title=_render(notice.title, notice.params)[:300],
                        body=_render(notice.body, notice.params),
                        url=notice.url,
                        created_at=now,
                        batch=batch,
                        email_status=EmailStatus.PENDING if wants_email else EmailStatus.NONE,
                        email_next_attempt_at=now if wants_email else None,
                    )
                )
    # No savepoint: inside a caller's transaction (a payment's) a failure fails it all.
    with transaction.atomic(savepoint=False):
        created = Notification.objects.bulk_create(notifications)
        channels.deliveries_create(created, list(everyone.values()), category, wanted=elsewhere)
        pending_ids = [n.pk for n in created if n.email_status == EmailStatus.PENDING]
        if pending_ids:
            # One task per chunk keeps a notice to 20,000 clients to a handful of queue rows.
            for start in range(0, len(pending_ids), 500):
                enqueue_on_commit(
                    "kabinet.notifications.tasks.deliver_notification_emails",
                    pending_ids[start : start + 500],
                )
    return created


def notification_new_batch() -> str:
    return str(uuid.uuid4())


def notification_deliver_email(*, notification_id: int) -> bool:
    """Send one notification's e-mail. Safe to call twice: a sent one is not sent again."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .select_related("user")
            .filter(pk=notification_id, email_status=EmailStatus.PENDING)
            .first()
        )
        if notification is None:
            return False
        user = notification.user
        try:
            with translation.override(user.language):
                context = {
                    "notification": notification,
                    "user": user,
                    "site_url": settings.SITE_URL,
                    "operator_name": settings.KABINET_OPERATOR_NAME,
                }
                text = render_to_string("notifications/email.txt", context)
                html = render_to_string("notifications/email.html", context)
            message = EmailMultiAlternatives(subject=notification.title, body=text, to=[user.email])
            message.attach_alternative(html, "text/html")
            message.send()
        except Exception as exc:
            attempts = notification.email_attempts + 1
            notification.email_attempts = attempts
            notification.email_last_error = f"{type(exc).__name__}: {exc}"[:500]
            if attempts >= settings.KABINET_EMAIL_MAX_ATTEMPTS:
                notification.email_status = EmailStatus.FAILED
                notification.email_next_attempt_at = None
            else:
                delay = RETRY_DELAYS[min(attempts - 1, len(RETRY_DELAYS) - 1)]
                notification.email_next_attempt_at = timezone.now() + timedelta(seconds=delay)
            notification.save(
                update_fields=[
                    "email_attempts",
                    "email_last_error",
                    "email_status",
                    "email_next_attempt_at",
                ]
            )
            return False
        notification.email_status = EmailStatus.SENT
        notification.email_sent_at = timezone.now()
        notification.email_attempts += 1
        notification.email_next_attempt_at = None
        notification.save(
            update_fields=[
                "email_status",
                "email_sent_at",
                "email_attempts",
                "email_next_attempt_at",
            ]
        )
        return True


def notification_retry_due_emails(*, limit: int = 1000) -> int:
    """Send the e-mails whose retry time has come (run by the scheduler)."""
    due = list(
        Notification.objects.filter(
            email_status=EmailStatus.PENDING, email_next_attempt_at__lte=timezone.now()
        )
        .order_by("email_next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for pk in due:
        sent += notification_deliver_email(notification_id=pk)
    return sent


def notification_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    count = qs.update(read_at=timezone.now())
    if count and getattr(user, "unread_notifications", None) is not None:
        # The count read with the signed-in user is stale now: the page counts again.
        user.unread_notifications = None  # type: ignore[attr-defined]  # an annotation
    return count


def notification_set_preferences(
    *,
    user: User,
    email_categories: Iterable[str],
    sms_categories: Iterable[str] = (),
    telegram_categories: Iterable[str] = (),
) -> None:
    wanted_email, wanted_sms = set(email_categories), set(sms_categories)
    wanted_telegram = set(telegram_categories)
    with transaction.atomic():
        for category in Category.values:
            NotificationPreference.objects.update_or_create(
                user=user,
                category=category,
                defaults={
                    "by_email": category in wanted_email,
                    "by_sms": category in wanted_sms,
                    "by_telegram": category in wanted_telegram,
                },
            )


def notification_sms_categories(*, user: User) -> set[str]:
    return set(
        NotificationPreference.objects.filter(user=user, by_sms=True).values_list(
            "category", flat=True
        )
    )


def notification_telegram_categories(*, user: User) -> set[str]:
    return set(
        NotificationPreference.objects.filter(user=user, by_telegram=True).values_list(
            "category", flat=True
        )
    )


def notification_email_categories(*, user: User) -> set[str]:
    off = set(
        NotificationPreference.objects.filter(user=user, by_email=False).values_list(
            "category", flat=True
        )
    )
    return set(Category.values) - off

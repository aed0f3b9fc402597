"""Correspondence and notices: every change goes through these functions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kabinet.accounts.models import Client, ClientStatus, Role, User
from kabinet.accounts.selectors import company_users
from kabinet.audit.services import audit_record
from kabinet.catalog.models import Service, Tariff
from kabinet.lib.uploads import CheckedFile
from kabinet.notifications.models import Category
from kabinet.notifications.services import notification_new_batch, notification_send
from kabinet.subscriptions.models import SubscriptionStatus

from .models import Message, MessageAttachment, Notice, Segment, Thread, ThreadRead

EXCERPT_CHARS = 1000


def _check_author(author: User, client: Client) -> bool:
    """Whether the author writes from the client's side; refuses anyone else's company."""
    if author.is_client_user:
        membership = getattr(author, "membership", None)
        if membership is None or membership.client_id != client.pk:
            raise PermissionDenied
        return True
    if not author.is_manager:
        raise PermissionDenied
    return False


def thread_start(
    *,
    author: User,
    client: Client,
    subject: str,
    body: str,
    attachments: Sequence[CheckedFile] = (),
    request: Any = None,
) -> Thread:
    """Start a thread: a client user writes to their manager, or a manager to a client."""
    from_client = _check_author(author, client)
    if from_client and client.status == ClientStatus.CLOSED:
        raise ValidationError(_("The contract is closed; call support instead."))
    subject = subject.strip()
    if not subject:
        raise ValidationError({"subject": _("Give the conversation a subject.")})
    with transaction.atomic():
        thread = Thread.objects.create(client=client, subject=subject, created_by=author)
        message = _post(
            thread, author=author, from_client=from_client, body=body, files=attachments
        )
        if not from_client:
            audit_record(
                actor=author,
                action="thread.start",
                obj=thread,
                after={"client": client.contract_number, "subject": subject, "message": message.pk},
                request=request,
            )
    return thread


def message_post(
    *,
    author: User,
    thread: Thread,
    body: str,
    attachments: Sequence[CheckedFile] = (),
    request: Any = None,
) -> Message:
    from_client = _check_author(author, thread.client)
    with transaction.atomic():
        thread = (
            Thread.objects.select_for_update(of=("self",))
            .select_related("client")
            .get(pk=thread.pk)
        )
        message = _post(
            thread, author=author, from_client=from_client, body=body, files=attachments
        )
        if not from_client:
            audit_record(
                actor=author,
                action="thread.message",
                obj=thread,
                after={"message": message.pk, "attachments": len(attachments)},
                request=request,
            )
    return message


def _post(
    thread: Thread, *, author: User, from_client: bool, body: str, files: Sequence[CheckedFile]
) -> Message:
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write a message.")})
    now = timezone.now()
    message = Message.objects.create(
        thread=thread, author=author, from_client=from_client, body=body, created_at=now
    )
    for checked in files:
        MessageAttachment.objects.create(
            message=message,
            file=checked.upload,
            name=checked.name,
            content_type=checked.content_type,
            size=checked.size,
        )
    thread.last_message_at = now
    thread.awaiting_reply = from_client
    thread.save(update_fields=["last_message_at", "awaiting_reply"])
    # The author has read their own message.
    ThreadRead.objects.update_or_create(thread=thread, user=author, defaults={"read_at": now})
    _notify(thread, message)
    return message


def _notify(thread: Thread, message: Message) -> None:
    excerpt = Truncator(message.body).chars(EXCERPT_CHARS)
    params = {"subject": thread.subject, "client": thread.client.name}
    if message.from_client:
        recipients = _staff_of(thread)
        notification_send(
            users=[u for u in recipients if u.pk != message.author_id],
            category=Category.MESSAGE,
            title=gettext_lazy("New message from %(client)s: %(subject)s"),
            body=excerpt,
            params=params,
            url=reverse("manager:thread_detail", args=[thread.pk]),
        )
    else:
        notification_send(
            users=[u for u in company_users(thread.client) if u.pk != message.author_id],
            category=Category.MESSAGE,
            title=gettext_lazy("New message from your manager: %(subject)s"),
            body=excerpt,
            params=params,
            url=reverse("cabinet:thread_detail", args=[thread.pk]),
        )


def _staff_of(thread: Thread) -> list[User]:
    """Who hears of a client's message: their manager and managers who wrote in the thread;
    when there is nobody, every manager."""
    writers = set(
        Message.objects.filter(thread=thread, from_client=False).values_list("author_id", flat=True)
    )
    if thread.client.manager_id:
        writers.add(thread.client.manager_id)
    staff = list(User.objects.filter(pk__in=writers, is_active=True))
    if staff:
        return staff
    return list(User.objects.filter(role=Role.MANAGER, is_active=True))


def thread_mark_read(*, user: User, thread: Thread) -> None:
    ThreadRead.objects.update_or_create(
        thread=thread, user=user, defaults={"read_at": timezone.now()}
    )


# --- Notices to segments of clients ----------------------------------------------------------


def segment_clients(
    *,
    segment: str,
    service: Service | None = None,
    tariff: Tariff | None = None,
    client_status: str = "",
) -> QuerySet[Client]:
    """The clients a notice reaches. Closed contracts only when their status is asked for."""
    open_subscription = Q(
        subscriptions__status__in=[SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED]
    )
    if segment == Segment.ALL:
        return Client.objects.exclude(status=ClientStatus.CLOSED)
    if segment == Segment.SERVICE:
        if service is None:
            raise ValidationError({"service": _("Choose the service.")})
        return (
            Client.objects.exclude(status=ClientStatus.CLOSED)
            .filter(open_subscription, subscriptions__service=service)
            .distinct()
        )
    if segment == Segment.TARIFF:
        if tariff is None:
            raise ValidationError({"tariff": _("Choose the tariff.")})
        return (
            Client.objects.exclude(status=ClientStatus.CLOSED)
            .filter(open_subscription, subscriptions__tariff=tariff)
            .distinct()
        )
    if segment == Segment.STATUS:
        if client_status not in ClientStatus.values:
            raise ValidationError({"client_status": _("Choose the status.")})
        return Client.objects.filter(status=client_status)
    raise ValidationError({"segment": _("Choose to whom.")})


def segment_users(clients: QuerySet[Client]) -> QuerySet[User]:
    return User.objects.filter(
        role=Role.CLIENT, is_active=True, membership__client__in=clients
    ).order_by("pk")


def notice_send(
    *,
    actor: User,
    title: str,
    body: str,
    segment: str,
    service: Service | None = None,
    tariff: Tariff | None = None,
    client_status: str = "",
    request: Any = None,
) -> Notice:
    """Send a notice to every user of the segment's clients, as one counted batch."""
    clients = segment_clients(
        segment=segment, service=service, tariff=tariff, client_status=client_status
    )
    with transaction.atomic():
        batch = notification_new_batch()
        users = list(segment_users(clients))
        notice = Notice.objects.create(
            title=title,
            body=body,
            segment=segment,
            service=service if segment == Segment.SERVICE else None,
            tariff=tariff if segment == Segment.TARIFF else None,
            client_status=client_status if segment == Segment.STATUS else "",
            batch=batch,
            clients_count=clients.count(),
            recipients_count=len(users),
            created_by=actor,
        )
        notification_send(users=users, category=Category.NEWS, title=title, body=body, batch=batch)
        audit_record(
            actor=actor,
            action="notice.send",
            obj=notice,
            after={
                "segment": segment,
                "service": str(notice.service or ""),
                "tariff": str(notice.tariff or ""),
                "client_status": notice.client_status,
                "clients": notice.clients_count,
                "recipients": notice.recipients_count,
            },
            request=request,
        )
    return notice

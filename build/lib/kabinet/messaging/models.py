"""Correspondence between a client's users and the operator's managers, and managers'
notices to segments of clients."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kabinet.accounts.models import ClientStatus
from kabinet.lib.uploads import private_storage, random_name


class Thread(models.Model):
    """A conversation with a subject between one client company and the operator."""

    client = models.ForeignKey(
        "accounts.Client",
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        related_name="threads",
    )
    subject = models.CharField(_("subject"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("started"), default=timezone.now)
    last_message_at = models.DateTimeField(_("last message"), default=timezone.now)
    # The last word is the client's: managers see the thread as unanswered.
    awaiting_reply = models.BooleanField(_("unanswered"), default=False)

    class Meta:
        verbose_name = _("thread")
        verbose_name_plural = _("threads")
        ordering = ["-last_message_at", "-id"]
        indexes = [
            models.Index(fields=["client", "-last_message_at"], name="thread_client_idx"),
            models.Index(fields=["-awaiting_reply", "-last_message_at"], name="thread_queue_idx"),
        ]

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        return reverse("cabinet:thread_detail", args=[self.pk])


class ThreadRead(models.Model):
    """Up to when a user has read a thread: what came later is unread for them."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["thread", "user"], name="thread_read_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.thread_id} at {self.read_at:%Y-%m-%d %H:%M}"


class Message(models.Model):
    """One message in a thread. Messages are never edited or deleted."""

    thread = models.ForeignKey(Thread, on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The author's side when they wrote it (a user's role could change later).
    from_client = models.BooleanField()
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["thread", "created_at"], name="message_thread_idx")]

    def __str__(self) -> str:
        return f"{self.thread_id}: {self.body[:40]}"


def message_attachment_path(instance: object, filename: str) -> str:
    return random_name("messages")


class MessageAttachment(models.Model):
    """A file attached to a message; kept privately, handed out only to the thread's
    company and to managers."""

    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(storage=private_storage, upload_to=message_attachment_path)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Segment(models.TextChoices):
    ALL = "all", _("All clients")
    SERVICE = "service", _("Clients with a service")
    TARIFF = "tariff", _("Clients on a tariff")
    STATUS = "status", _("Clients in a status")


class Notice(models.Model):
    """A manager's notice to a segment of clients, sent as one notification batch."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    segment = models.CharField(_("to whom"), max_length=10, choices=Segment.choices)
    service = models.ForeignKey(
        "catalog.Service",
        verbose_name=_("service"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    tariff = models.ForeignKey(
        "catalog.Tariff",
        verbose_name=_("tariff"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    client_status = models.CharField(
        _("client status"), max_length=16, choices=ClientStatus.choices, blank=True
    )
    # The notifications' batch id: counts of recipients and readers come from it.
    batch = models.CharField(max_length=36, unique=True)
    clients_count = models.PositiveIntegerField(default=0)
    recipients_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("sent"), default=timezone.now)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(segment="service") | Q(service__isnull=False),
                name="notice_service_segment_has_service",
            ),
            models.CheckConstraint(
                condition=~Q(segment="tariff") | Q(tariff__isnull=False),
                name="notice_tariff_segment_has_tariff",
            ),
            models.CheckConstraint(
                condition=~Q(segment="status") | ~Q(client_status=""),
                name="notice_status_segment_has_status",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("manager:notice_detail", args=[self.pk])

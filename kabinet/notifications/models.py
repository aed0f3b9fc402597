from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    SYSTEM = "system", _("Account and security")
    TARIFF = "tariff", _("Tariffs and prices")
    SERVICE = "service", _("Services")
    REQUEST = "request", _("Requests")
    MESSAGE = "message", _("Messages")
    PAYMENT = "payment", _("Payments and balance")
    NEWS = "news", _("Notices from the operator")


class EmailStatus(models.TextChoices):
    NONE = "none", _("Not sent by e-mail")
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Notification(models.Model):
    """A notice to one user: shown in the cabinet, and e-mailed when the user wants it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    # Which batch sent it (a manager's notice to many clients), to count its recipients.
    batch = models.CharField(max_length=36, blank=True, db_index=True)
    email_status = models.CharField(
        max_length=16, choices=EmailStatus.choices, default=EmailStatus.NONE
    )
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_next_attempt_at = models.DateTimeField(null=True, blank=True)
    email_last_error = models.CharField(max_length=500, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notif_user_created_idx"),
            models.Index(
                fields=["user"],
                condition=models.Q(read_at__isnull=True),
                name="notif_user_unread_idx",
            ),
            models.Index(
                fields=["email_next_attempt_at"],
                condition=models.Q(email_status="pending"),
                name="notif_email_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class NotificationPreference(models.Model):
    """Whether a user wants e-mail for a category. Cabinet notices are always kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    category = models.CharField(max_length=16, choices=Category.choices)
    by_email = models.BooleanField(default=True)
    # Off unless the user turns them on (and has a confirmed mobile number / linked Telegram).
    by_sms = models.BooleanField(default=False)
    by_telegram = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "category"], name="notif_pref_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.category} email={self.by_email}"


class Channel(models.TextChoices):
    """Where a notice goes besides the cabinet and e-mail (each its own queued delivery)."""

    SMS = "sms", _("SMS")
    TELEGRAM = "telegram", _("Telegram")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    """One notice on one channel: queued, retried with back-off, its outcome kept."""

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=64)
    text = models.TextField(_("text"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # What the gateway said, in words a manager understands, and its own id of the message.
    last_error = models.CharField(_("error"), max_length=500, blank=True)
    provider_id = models.CharField(max_length=100, blank=True)
    answer = models.TextField(blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="delivery_pending_idx",
            ),
            models.Index(fields=["status", "-created_at"], name="delivery_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.address}: {self.status}"


class MobilePhone(models.Model):
    """A user's mobile number for SMS, usable only once confirmed by a code sent to it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mobile_phone"
    )
    number = models.CharField(_("mobile number"), max_length=16)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    code_hash = models.CharField(max_length=128, blank=True)
    code_sent_at = models.DateTimeField(null=True, blank=True)
    code_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("mobile number")
        verbose_name_plural = _("mobile numbers")

    def __str__(self) -> str:
        return f"+{self.number}"

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None


class TelegramLink(models.Model):
    """A user's Telegram chat with the operator's bot, made by a one-time deep link."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="telegram_link"
    )
    # A private chat's id is the Telegram user's id; one chat serves one Kabinet login.
    chat_id = models.BigIntegerField(_("Telegram chat"), unique=True)
    username = models.CharField(_("Telegram username"), max_length=64, blank=True)
    name = models.CharField(_("name in Telegram"), max_length=200, blank=True)
    linked_at = models.DateTimeField(_("linked"), default=timezone.now)

    class Meta:
        verbose_name = _("Telegram link")
        verbose_name_plural = _("Telegram links")

    def __str__(self) -> str:
        return f"@{self.username}" if self.username else self.name or str(self.chat_id)


class TelegramLinkToken(models.Model):
    """The start parameter of a deep link (t.me/<bot>?start=<token>): valid 15 minutes, used
    once. Only its hash is kept; a new link makes the user's earlier unused ones void."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"link token of {self.user_id}"

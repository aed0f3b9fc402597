from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RequestKind(models.TextChoices):
    CONNECT = "connect", _("Connect a service")
    DISCONNECT = "disconnect", _("Disconnect a service")
    CHANGE_TARIFF = "change_tariff", _("Change tariff")
    CHANGE_PARAMETERS = "change_parameters", _("Change parameters")
    OTHER = "other", _("Other question")


class RequestStatus(models.TextChoices):
    NEW = "new", _("New")
    APPROVED = "approved", _("Approved")
    DONE = "done", _("Done")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_STATUSES = (RequestStatus.NEW, RequestStatus.APPROVED)


class ServiceRequest(models.Model):
    """A client's request ("заявка"): what they ask for, and what became of it."""

    client = models.ForeignKey(
        "accounts.Client", on_delete=models.PROTECT, related_name="service_requests"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=RequestKind.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=RequestStatus.choices, default=RequestStatus.NEW
    )
    subscription = models.ForeignKey(
        "subscriptions.Subscription",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="requests",
    )
    service = models.ForeignKey(
        "catalog.Service", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    tariff = models.ForeignKey(
        "catalog.Tariff",
        verbose_name=_("tariff asked for"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # For parameter changes: {code: new value}; for connections: the initial values.
    parameters = models.JSONField(default=dict, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    text = models.TextField(_("text"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("filed"), default=timezone.now)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_requests",
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    comment = models.TextField(_("comment for the client"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="request_status_idx"),
            models.Index(fields=["client", "-created_at"], name="request_client_idx"),
            models.Index(fields=["assignee", "status"], name="request_assignee_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()}"

    def get_absolute_url(self) -> str:
        return reverse("cabinet:request_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class RequestEvent(models.Model):
    """One step in a request's history: who did what, when, with the comment shown."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=12, choices=RequestStatus.choices)
    comment = models.TextField(blank=True)
    # Set when an automation rule made the decision (the servicedesk's rules).
    rule_name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.request_id} {self.status}"

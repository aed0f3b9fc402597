from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.translation import gettext_lazy as _

from kabinet.accounts.models import ClientStatus
from kabinet.catalog.models import Visibility
from kabinet.lib.uploads import private_storage, random_name


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
    # The automation rule that decided or routed the request, if one did.
    rule = models.ForeignKey(
        "Rule",
        verbose_name=_("rule"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="requests",
    )
    # Set once the rules have looked at the request: running them again changes nothing.
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="request_status_idx"),
            models.Index(fields=["client", "-created_at"], name="request_client_idx"),
            models.Index(fields=["assignee", "status"], name="request_assignee_idx"),
            models.Index(fields=["kind", "status"], name="request_kind_idx"),
            # The queue's default view: open requests, soonest due first.
            models.Index(
                fields=["due_at", "created_at", "id"],
                condition=models.Q(status__in=OPEN_STATUSES),
                name="request_open_due_idx",
            ),
            # The same order over every request ("any status", or one closed status): a
            # page of it without sorting them all (the bench's 150,000 requests: 105 → 3.5 ms).
            models.Index(fields=["due_at", "created_at", "id"], name="request_due_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()}"

    def get_absolute_url(self) -> str:
        return reverse("cabinet:request_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_at is not None and self.due_at < timezone.now()

    @property
    def summary(self) -> str:
        """What is asked, in one line: the service and tariff, the parameters, or the
        subject (every list of requests shows it)."""
        subscribed = self.subscription.service.display_name if self.subscription else ""
        if self.kind == RequestKind.CONNECT:
            service = self.service.display_name if self.service else ""
            tariff = self.tariff.display_name if self.tariff else ""
            return f"{service} · {tariff}"
        if self.kind == RequestKind.CHANGE_TARIFF:
            return f"{subscribed}: → {self.tariff.display_name if self.tariff else ''}"
        if self.kind == RequestKind.DISCONNECT:
            return subscribed
        if self.kind == RequestKind.CHANGE_PARAMETERS:
            values = ", ".join(
                f"{code} = {localize(value)}" for code, value in (self.parameters or {}).items()
            )
            return f"{subscribed}: {values}"
        return self.subject

    def parameter_rows(self) -> list[tuple[str, str, str]]:
        """(label, value now, value asked for) of each parameter the request sets."""
        service = self.service or (self.subscription.service if self.subscription else None)
        if service is None or not self.parameters:
            return []
        current = self.subscription.parameters if self.subscription else {}
        rows = []
        for spec in service.parameters.all():
            if spec.code not in self.parameters:
                continue
            before = spec.display_value(current.get(spec.code, spec.default)) if current else ""
            rows.append(
                (spec.display_label, before, spec.display_value(self.parameters[spec.code]))
            )
        return rows


class EventAction(models.TextChoices):
    STATUS = "status", _("Status change")
    ASSIGN = "assign", _("Assignment")
    NOTE = "note", _("Note for managers")


class RequestEvent(models.Model):
    """One step in a request's history: who did what, when, with the comment shown."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Status changes are the client's history; assignments and notes are for managers only.
    action = models.CharField(
        max_length=10, choices=EventAction.choices, default=EventAction.STATUS
    )
    status = models.CharField(max_length=12, choices=RequestStatus.choices)
    comment = models.TextField(blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Set when an automation rule acted: the rule, and its name as it was then.
    rule = models.ForeignKey(
        "Rule", on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    rule_name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.request_id} {self.status}"


class RuleAction(models.TextChoices):
    APPROVE = "approve", _("Approve at once")
    ASSIGN = "assign", _("Assign to a manager")
    REJECT = "reject", _("Reject with a message")


class Rule(models.Model):
    """An automation rule: when a new request meets every condition set, do the action.

    Enabled rules are tried in ``position`` order; the first that matches acts alone.
    An empty condition matches anything.
    """

    name = models.CharField(_("name"), max_length=200)
    position = models.PositiveIntegerField(_("order"), default=0)
    is_enabled = models.BooleanField(_("enabled"), default=False)
    # Conditions.
    kind = models.CharField(
        _("request kind"), max_length=20, choices=RequestKind.choices, blank=True
    )
    service = models.ForeignKey(
        "catalog.Service",
        verbose_name=_("service"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    tariff_visibility = models.CharField(
        _("visibility of the tariff asked for"),
        max_length=10,
        choices=Visibility.choices,
        blank=True,
    )
    client_status = models.CharField(
        _("client status"),
        max_length=16,
        choices=ClientStatus.choices,
        blank=True,
    )
    min_balance = models.DecimalField(
        _("client balance at least"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    parameter_code = models.CharField(_("parameter"), max_length=50, blank=True)
    parameter_min = models.IntegerField(_("new value at least"), null=True, blank=True)
    parameter_max = models.IntegerField(_("new value at most"), null=True, blank=True)
    # The action.
    action = models.CharField(_("action"), max_length=10, choices=RuleAction.choices)
    assign_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assign to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: the client's own manager."),
    )
    message = models.TextField(
        _("message to the client"),
        blank=True,
        help_text=_("Required to reject; shown to the client with an approval too."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("automation rule")
        verbose_name_plural = _("automation rules")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(action="reject") | ~Q(message=""), name="rule_reject_has_message"
            ),
            models.CheckConstraint(
                condition=Q(parameter_min__isnull=True)
                | Q(parameter_max__isnull=True)
                | Q(parameter_min__lte=F("parameter_max")),
                name="rule_parameter_limits_ordered",
            ),
            models.CheckConstraint(
                condition=Q(parameter_code="")
                | Q(parameter_min__isnull=False)
                | Q(parameter_max__isnull=False),
                name="rule_parameter_has_limits",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("manager:rule_detail", args=[self.pk])


def request_attachment_path(instance: object, filename: str) -> str:
    return random_name("requests")


class RequestAttachment(models.Model):
    """A file the client attached to a request; kept privately, checked by content."""

    request = models.ForeignKey(
        ServiceRequest, on_delete=models.PROTECT, related_name="attachments"
    )
    file = models.FileField(storage=private_storage, upload_to=request_attachment_path)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

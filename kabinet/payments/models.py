"""Payments through the gateway (specs/payment-gateway.md), the ledger, and every signed message."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kabinet.accounts.models import Client

ZERO = Decimal("0.00")


class Channel(models.TextChoices):
    CARD = "card", _("Card")
    TERMINAL = "terminal", _("Terminal")
    # Money that reached billing without the website (payment.received): final when it arrives.
    BANK = "bank", _("Bank transfer")
    CASH = "cash", _("Cash at the office")
    OTHER = "other", _("Other")


# Channels whose payments billing reports to the website, never the other way round.
BILLING_CHANNELS = frozenset({Channel.BANK, Channel.CASH, Channel.OTHER})


class Provider(models.TextChoices):
    """Which network took the money (settings: KABINET_PAYMENT_PROVIDERS)."""

    KABINET = "kabinet", _("Kabinet gateway")
    YOOKASSA = "yookassa", _("YooKassa")
    OSMP = "osmp", _("QIWI/OSMP agents")
    BILLING = "billing", _("Received by billing")


class Method(models.TextChoices):
    """How the payer paid, as the provider tells it."""

    CARD = "card", _("Bank card")
    SBP = "sbp", _("Faster Payments (SBP)")
    TERMINAL = "terminal", _("Terminal or agent")


class PaymentStatus(models.TextChoices):
    # Card: pending → authorized → captured → refunded; pending → declined;
    # authorized → voided / expired. A partial refund keeps "captured".
    PENDING = "pending", _("Waiting for the payer")
    AUTHORIZED = "authorized", _("Held")
    CAPTURED = "captured", _("Paid")
    REFUNDED = "refunded", _("Refunded")
    DECLINED = "declined", _("Declined")
    VOIDED = "voided", _("Money returned")
    EXPIRED = "expired", _("Hold expired")
    # The gateway could not be asked: nothing was charged, the payer was told so.
    FAILED = "failed", _("Not started")
    # Terminal: final when accepted; cancelled only inside the money-back window.
    ACCEPTED = "accepted", _("Accepted")
    CANCELLED = "cancelled", _("Cancelled")


# Statuses after which nothing more happens to a payment.
FINAL_STATUSES = frozenset(
    {
        PaymentStatus.REFUNDED,
        PaymentStatus.DECLINED,
        PaymentStatus.VOIDED,
        PaymentStatus.EXPIRED,
        PaymentStatus.CANCELLED,
    }
)
# Where the payer can stop waiting: the money either reached the balance or never will.
SETTLED_STATUSES = FINAL_STATUSES | {
    PaymentStatus.CAPTURED,
    PaymentStatus.ACCEPTED,
    PaymentStatus.FAILED,
}


class Payment(models.Model):
    """One payment; its id is the spec's ``order_id`` (card) and ``authcode`` (terminal)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.PROTECT, related_name="payments"
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    provider = models.CharField(
        _("provider"), max_length=16, choices=Provider.choices, default=Provider.KABINET
    )
    method = models.CharField(_("method"), max_length=16, choices=Method.choices, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=PaymentStatus.choices)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    captured_amount = models.DecimalField(
        _("captured"), max_digits=12, decimal_places=2, default=ZERO
    )
    refunded_amount = models.DecimalField(
        _("refunded"), max_digits=12, decimal_places=2, default=ZERO
    )
    currency = models.CharField(_("currency"), max_length=3, default="RUB")
    email = models.EmailField(_("e-mail for the receipt"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Card protocol.
    gateway_payment_id = models.CharField(_("gateway payment id"), max_length=64, blank=True)
    payment_url = models.URLField(max_length=2000, blank=True)
    authorized_at = models.DateTimeField(_("held"), null=True, blank=True)
    capture_before = models.DateTimeField(_("hold lapses"), null=True, blank=True)
    captured_at = models.DateTimeField(_("paid"), null=True, blank=True)
    # Terminal protocol.
    receipt = models.CharField(_("terminal receipt"), max_length=40, null=True, blank=True)
    terminal_date = models.CharField(_("terminal date"), max_length=19, blank=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    # Payments billing received (bank transfers): billing's payment id and the payment order.
    external_id = models.CharField(_("billing's payment id"), max_length=100, blank=True)
    reference = models.CharField(_("payment order"), max_length=100, blank=True)
    # Both: until when a manager (card) or the terminal network (terminal) may take it back.
    moneyback_until = models.DateTimeField(_("money-back until"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # The billing record of the capture; exported once it carries a package sequence.
    capture_record = models.OneToOneField(
        "exchange.OutboxRecord",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Card autopay: the payer asked the network to save the card (the first payment), or
    # the website charged a saved card without the payer (every later one, one-stage).
    save_card = models.BooleanField(_("card saved for autopay"), default=False)
    autopay = models.BooleanField(_("autopay"), default=False)
    flagged = models.BooleanField(_("flagged"), default=False)
    flag_reason = models.TextField(_("why flagged"), blank=True)
    flagged_at = models.DateTimeField(null=True, blank=True)
    lapse_alerted_at = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["receipt"], name="payment_receipt_unique"),
            models.UniqueConstraint(
                fields=["gateway_payment_id"],
                condition=~Q(gateway_payment_id=""),
                name="payment_gateway_id_unique",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(captured_amount__gte=0) & Q(refunded_amount__gte=0),
                name="payment_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__lte=models.F("captured_amount")),
                name="payment_refund_within_captured",
            ),
            models.CheckConstraint(
                condition=~Q(channel="terminal") | Q(receipt__isnull=False),
                name="payment_terminal_has_receipt",
            ),
            models.UniqueConstraint(
                fields=["provider", "external_id"],
                condition=~Q(external_id=""),
                name="payment_external_id_unique",
            ),
            models.CheckConstraint(
                condition=Q(status__in=PaymentStatus.values), name="payment_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["client", "-created_at"], name="payment_client_created_idx"),
            models.Index(
                fields=["status", "-created_at"],
                include=[
                    "id",
                    "channel",
                    "provider",
                    "amount",
                    "captured_amount",
                    "refunded_amount",
                ],
                name="payment_status_created_idx",
            ),
            models.Index(
                fields=["channel", "-created_at"],
                include=[
                    "id",
                    "status",
                    "provider",
                    "amount",
                    "captured_amount",
                    "refunded_amount",
                ],
                name="payment_channel_created_idx",
            ),
            models.Index(
                fields=["provider", "-created_at"],
                include=["id", "status", "channel", "amount", "captured_amount", "refunded_amount"],
                name="payment_provider_created_idx",
            ),
            # Covering (these two): the manager's counts and totals read the index alone.
            models.Index(
                fields=["-created_at"],
                include=[
                    "id",
                    "status",
                    "channel",
                    "provider",
                    "amount",
                    "captured_amount",
                    "refunded_amount",
                ],
                name="payment_created_idx",
            ),
            models.Index(fields=["amount"], name="payment_amount_idx"),
            models.Index(
                fields=["moneyback_until"],
                condition=Q(status="authorized"),
                name="payment_held_due_idx",
            ),
            models.Index(
                fields=["-created_at"], condition=Q(flagged=True), name="payment_flagged_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.amount:.2f} RUB ({self.short_id})"

    def get_absolute_url(self) -> str:
        return reverse("manager:payment_detail", args=[self.pk])

    @property
    def short_id(self) -> str:
        return str(self.pk)[:8]

    @property
    def is_card(self) -> bool:
        return self.channel == Channel.CARD

    @property
    def is_settled(self) -> bool:
        return self.status in SETTLED_STATUSES

    @property
    def refundable_amount(self) -> Decimal:
        return self.captured_amount - self.refunded_amount

    @property
    def net_amount(self) -> Decimal:
        """What reached the balance and stayed there."""
        if self.status in (PaymentStatus.ACCEPTED,):
            return self.amount
        return self.captured_amount - self.refunded_amount

    @property
    def is_exported(self) -> bool:
        record = self.capture_record
        return record is not None and record.package_sequence is not None

    def moneyback_open(self, now: Any = None) -> bool:
        now = now or timezone.now()
        return self.moneyback_until is not None and now < self.moneyback_until

    def can_void(self, now: Any = None) -> bool:
        return (
            self.channel == Channel.CARD
            and self.status == PaymentStatus.AUTHORIZED
            and self.moneyback_open(now)
        )

    def can_refund(self) -> bool:
        return (
            self.channel == Channel.CARD
            and self.status == PaymentStatus.CAPTURED
            and self.refundable_amount > ZERO
        )


class LedgerKind(models.TextChoices):
    PAYMENT = "payment", _("Payment")
    REFUND = "refund", _("Refund")
    CANCELLATION = "cancellation", _("Payment cancelled")


class LedgerQuerySet(models.QuerySet["LedgerEntry"]):
    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("Ledger entries are never deleted; post a correcting entry.")


class LedgerEntry(models.Model):
    """A movement of the client's money on the website. The balance is their sum."""

    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.PROTECT, related_name="ledger"
    )
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=LedgerKind.choices)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    objects = LedgerQuerySet.as_manager()

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_amount_not_zero"),
            # A payment reaches the balance once and is cancelled at most once, whatever
            # the concurrency: the database refuses a second row.
            models.UniqueConstraint(
                fields=["payment"], condition=Q(kind="payment"), name="ledger_one_credit"
            ),
            models.UniqueConstraint(
                fields=["payment"],
                condition=Q(kind="cancellation"),
                name="ledger_one_cancellation",
            ),
            models.CheckConstraint(
                condition=(Q(kind="payment") & Q(amount__gt=0))
                | (~Q(kind="payment") & Q(amount__lt=0)),
                name="ledger_sign_matches_kind",
            ),
        ]
        indexes = [models.Index(fields=["client", "-created_at"], name="ledger_client_idx")]

    def __str__(self) -> str:
        return f"{self.client.contract_number} {self.amount:+.2f} {self.kind}"

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError("Ledger entries are never deleted; post a correcting entry.")


class Direction(models.TextChoices):
    IN = "in", _("Received")
    OUT = "out", _("Sent")


class MessageKind(models.TextChoices):
    CARD_REQUEST = "card_request", _("Request to the gateway")
    CARD_RESPONSE = "card_response", _("Gateway's answer")
    NOTIFY = "notify", _("Gateway notification")
    NOTIFY_RESPONSE = "notify_response", _("Answer to a notification")
    TERMINAL = "terminal", _("Terminal request")
    TERMINAL_RESPONSE = "terminal_response", _("Answer to the terminal")
    PROVIDER_NOTIFY = "provider_notify", _("Provider notification")


class SignatureCheck(models.TextChoices):
    OK = "ok", _("Signature verified")
    MISSING_HEADER = "missing_header", _("Signature header missing")
    UNKNOWN_KEY = "unknown_key", _("Unknown key")
    TIMESTAMP = "timestamp", _("Timestamp out of range")
    BAD_SIGNATURE = "bad_signature", _("Signature does not verify")
    SIGNED = "signed", _("Signed by the website")
    # Networks without signatures (YooKassa's notifications, OSMP agents): what they say is
    # re-read from the network's API, or the access is checked by password and address.
    UNSIGNED = "unsigned", _("Not signed (checked otherwise)")


class GatewayMessage(models.Model):
    """Every signed message in and out, raw, with the result of its signature check."""

    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=MessageKind.choices)
    method = models.CharField(max_length=10, blank=True)
    target = models.CharField(_("path"), max_length=2000, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    headers = models.JSONField(default=dict)
    body = models.BinaryField()
    signature_check = models.CharField(
        _("signature"), max_length=16, choices=SignatureCheck.choices
    )
    key_id = models.CharField(max_length=64, blank=True)
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replies"
    )
    # Set only on the message that applied an event: the database then refuses a second.
    event_id = models.CharField(max_length=100, null=True, blank=True)
    # The event id (or terminal receipt) the message carried, applied or not.
    reference = models.CharField(max_length=100, blank=True)
    event_type = models.CharField(max_length=40, blank=True)
    idempotency_key = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(_("outcome"), max_length=40, blank=True)
    note = models.TextField(blank=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _("gateway message")
        verbose_name_plural = _("gateway messages")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event_id"],
                condition=Q(event_id__isnull=False),
                name="gateway_message_event_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["payment", "created_at"], name="gwmsg_payment_idx"),
            models.Index(fields=["reference"], name="gwmsg_reference_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.kind} {self.created_at:%Y-%m-%d %H:%M:%S}"

    @property
    def body_text(self) -> str:
        return bytes(self.body).decode("utf-8", "replace")

    @property
    def verified(self) -> bool:
        return self.signature_check in (SignatureCheck.OK, SignatureCheck.SIGNED)


class OperationKind(models.TextChoices):
    CREATE = "create", _("Create")
    CAPTURE = "capture", _("Capture")
    VOID = "void", _("Void")
    REFUND = "refund", _("Refund")


class OperationState(models.TextChoices):
    PENDING = "pending", _("Waiting for an answer")
    DONE = "done", _("Done")
    REFUSED = "refused", _("Refused by the gateway")


class GatewayOperation(models.Model):
    """One logical call to the gateway. Its key and body are stored before the first try,
    so every retry sends the same Idempotency-Key with the same body and the gateway
    replays its first answer instead of acting twice."""

    key = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="operations")
    kind = models.CharField(max_length=16, choices=OperationKind.choices)
    path = models.CharField(max_length=300)
    body = models.BinaryField()
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    reason = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(
        max_length=16, choices=OperationState.choices, default=OperationState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # One capture, one void and one creation per payment; refunds may be several.
            models.UniqueConstraint(
                fields=["payment", "kind"],
                condition=~Q(kind="refund"),
                name="gateway_operation_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.payment_id} {self.state}"


class AgentTransaction(models.Model):
    """One payment an agent network sent (OSMP's ``pay``): its id is the ``prv_txn`` we answer.

    Unique on the network's ``txn_id``, so a repeated ``pay`` finds the first one and
    credits nothing more, however many arrive at once.
    """

    provider = models.CharField(max_length=16, choices=Provider.choices)
    txn_id = models.CharField(_("agent's transaction"), max_length=20)
    account = models.CharField(_("account"), max_length=20)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    txn_date = models.CharField(_("agent's date"), max_length=14)
    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, related_name="agent_transaction"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "txn_id"], name="agent_txn_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.txn_id}"

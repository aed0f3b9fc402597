"""Demo payment history for clients 100001–100004. Idempotent; never calls the gateway."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kabinet.accounts.models import Client
from kabinet.exchange.outbox import outbox_record
from kabinet.lib.money import format_money

from .models import Channel, GatewayMessage, LedgerEntry, LedgerKind, Payment, PaymentStatus
from .state import wire_time

NAMESPACE = uuid.UUID("6f1c8c1e-0d4b-4f3e-9a51-5d0b1f1a2b3c")

# (contract, days ago, channel, amount, refunded)
HISTORY = [
    ("100001", 62, Channel.CARD, "15000.00", "0.00"),
    ("100001", 33, Channel.TERMINAL, "5000.00", "0.00"),
    ("100001", 12, Channel.CARD, "18500.00", "2500.00"),
    ("100001", 3, Channel.CARD, "12000.00", "0.00"),
    ("100002", 45, Channel.CARD, "42000.00", "0.00"),
    ("100002", 15, Channel.CARD, "38750.50", "0.00"),
    ("100003", 28, Channel.TERMINAL, "9600.00", "0.00"),
    ("100003", 6, Channel.CARD, "11400.00", "11400.00"),
    # 100004 pays little and late: its balance runs low (promised payment, automatic invoice).
    ("100004", 20, Channel.CARD, "900.00", "0.00"),
    ("100004", 9, Channel.TERMINAL, "600.00", "0.00"),
]


def seed_payments() -> list[str]:
    clients = {
        c.contract_number: c
        for c in Client.objects.filter(contract_number__in=["100001", "100002", "100003", "100004"])
    }
    created = 0
    now = timezone.now().replace(microsecond=0)
    with transaction.atomic():
        for index, (contract, days, channel, amount, refunded) in enumerate(HISTORY):
            client = clients.get(contract)
            if client is None:
                continue
            pk = uuid.uuid5(NAMESPACE, f"{contract}:{index}")
            if Payment.objects.filter(pk=pk).exists():
                continue
            _seed_one(
                pk,
                client,
                now - timedelta(days=days, hours=index),
                channel,
                Decimal(amount),
                Decimal(refunded),
                index,
            )
            created += 1
    return [f"Payments: {created} created ({len(HISTORY)} in the demo history)"]


def _seed_one(
    pk: uuid.UUID,
    client: Client,
    at,
    channel: str,
    amount: Decimal,
    refunded: Decimal,
    index: int,
) -> None:
    hours = timedelta(hours=settings.KABINET_MONEYBACK_HOURS)
    card = channel == Channel.CARD
    captured_at = at + hours if card else at
    payment = Payment.objects.create(
        id=pk,
        client=client,
        channel=channel,
        status=PaymentStatus.CAPTURED if card else PaymentStatus.ACCEPTED,
        amount=amount,
        captured_amount=amount,
        refunded_amount=refunded,
        gateway_payment_id=f"demo-{pk}" if card else "",
        receipt=None if card else f"{7000000000000 + index}",
        terminal_date="" if card else at.strftime("%Y-%m-%dT%H:%M:%S"),
        authorized_at=at if card else None,
        capture_before=at + timedelta(days=3) if card else None,
        moneyback_until=at + hours,
        captured_at=captured_at,
        accepted_at=None if card else at,
        created_at=at,
    )
    if refunded == amount:
        payment.status = PaymentStatus.REFUNDED
        payment.closed_at = captured_at + timedelta(days=1)
    LedgerEntry.objects.create(
        client=client,
        payment=payment,
        kind=LedgerKind.PAYMENT,
        amount=amount,
        created_at=captured_at,
    )
    payment.capture_record = outbox_record(
        type="payment.captured",
        data={
            "contract": client.contract_number,
            "payment_id": str(pk),
            "amount": format_money(amount),
            "channel": channel,
            "captured_at": wire_time(captured_at),
        },
    )
    if refunded:
        refunded_at = captured_at + timedelta(days=1)
        LedgerEntry.objects.create(
            client=client,
            payment=payment,
            kind=LedgerKind.REFUND,
            amount=-refunded,
            created_at=refunded_at,
        )
        outbox_record(
            type="payment.refunded",
            data={
                "contract": client.contract_number,
                "payment_id": str(pk),
                "amount": format_money(refunded),
                "refunded_at": wire_time(refunded_at),
            },
        )
    payment.save()
    # Demo history has no signed messages: it was never on the wire.
    assert not GatewayMessage.objects.filter(payment=payment).exists()

"""``payment.received`` (specs/billing-exchange.md, December 2026): money that reached billing
without the website — a bank transfer against an invoice, cash at the office.

Each becomes a final payment in the client's history and ledger, dated when billing received
it, with billing's payment id and the payment order. It is not sent back to billing (billing
knows it), and a balance snapshot as of its ``received_at`` or later already includes it
(payments.selectors.balance_detail).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from kabinet.exchange import records as f
from kabinet.exchange.records import MAX_ID, Record
from kabinet.exchange.registry import ApplyContext, ScanContext, register_inbound

from . import events
from .models import BILLING_CHANNELS, LedgerEntry, LedgerKind, Payment, PaymentStatus, Provider
from .state import notify_client

TYPE = "payment.received"
HOW = {
    "bank": gettext_lazy("Received by bank transfer under contract %(contract)s."),
    "cash": gettext_lazy("Received in cash under contract %(contract)s."),
    "other": gettext_lazy("Received by billing under contract %(contract)s."),
}


def _positive(value: object) -> object:
    amount = f.money(value)
    if amount <= 0:
        raise f.RecordError("must be more than 0.00")
    return amount


FIELDS = {
    "contract": f.text(20),
    "payment_id": f.text(MAX_ID),
    "amount": _positive,
    "channel": f.choice(tuple(sorted(c.value for c in BILLING_CHANNELS))),
    "received_at": f.time,
    "reference": f.text(100, empty=True),
}


def _check(ctx: ScanContext, record: Record) -> str | None:
    """The same payment id twice in one package is an error of the package (billing's ids
    are unique); one seen in an earlier package under a new record id is applied as no-op."""
    seen: set[str] = ctx.scratch(TYPE, set)
    payment_id = record.data["payment_id"]
    if payment_id in seen:
        return f"payment_id {payment_id!r} appears twice in this package"
    seen.add(payment_id)
    return None


def _apply(ctx: ApplyContext, run: list[tuple[int, Record]]) -> None:
    ids = [r.data["payment_id"] for _n, r in run]
    known = set(
        Payment.objects.filter(provider=Provider.BILLING, external_id__in=ids).values_list(
            "external_id", flat=True
        )
    )
    for number, record in run:
        data = record.data
        if data["payment_id"] in known:
            ctx.note(number, f"payment {data['payment_id']} was received before: not counted again")
            continue
        at = data["received_at"]
        payment = Payment.objects.create(
            client_id=ctx.client_id(record),
            channel=data["channel"],
            provider=Provider.BILLING,
            status=PaymentStatus.ACCEPTED,
            amount=data["amount"],
            captured_amount=data["amount"],
            external_id=data["payment_id"],
            reference=data["reference"],
            accepted_at=at,
            captured_at=at,
            created_at=at,
        )
        LedgerEntry.objects.create(
            client_id=payment.client_id,
            payment=payment,
            kind=LedgerKind.PAYMENT,
            amount=payment.amount,
            note=payment.get_channel_display(),
            created_at=at,
        )
        notify_client(
            payment,
            gettext_lazy("Payment of %(amount)s reached your balance"),
            HOW[data["channel"]],
        )
        events.payment_received.send(sender=Payment, payment=payment)
        events.payment_credited.send(sender=Payment, payment=payment, amount=payment.amount)


def register() -> None:
    register_inbound(TYPE, fields=FIELDS, apply=_apply, check=_check)

"""Card and terminal payments with their ledger entries, billing records, audit and notices."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from decimal import Decimal

from django.utils import timezone

from kabinet.audit.models import AuditEntry
from kabinet.lib.money import format_money
from kabinet.notifications.models import Category, EmailStatus, Notification
from kabinet.payments.models import Channel, LedgerEntry, LedgerKind, Payment, PaymentStatus

from .common import (
    CENT,
    D,
    _Base,
    _uuid,
    _wire,
)

REFUND_REASONS = [
    "Ошибочный платёж, клиент заплатил дважды",
    "Переплата по договору, возврат по письму клиента",
    "Оплата не по тому договору",
]


class PaymentsPart(_Base):
    def _payments(
        self,
        rng: random.Random,
        contract: str,
        client_id: int,
        created: dt.datetime,
        status_changed: dt.datetime | None,
        users: list[tuple[int, str, str]],
    ) -> list[tuple[dt.datetime, Decimal]]:
        """Writes the payments; returns the billing records' money moves (at, signed amount)."""
        if self.ppc == 0:
            return []
        now = self.now
        start = created + dt.timedelta(days=1)
        end = (status_changed if status_changed and status_changed < now else now) - dt.timedelta(
            minutes=5
        )
        if end <= start:
            end = start + dt.timedelta(hours=1)
        months = max(1.0, (end - start).days / 30)
        monthly = rng.choice([600, 900, 1200, 1800, 2500, 4000, 7000, 12000])
        mean = monthly * months / self.ppc
        times = sorted(self._between(rng, start, end) for _ in range(self.ppc))
        moves: list[tuple[dt.datetime, Decimal]] = []
        credited: list[tuple[uuid.UUID, Decimal, str, dt.datetime]] = []
        for j, at in enumerate(times):
            pk = _uuid(rng)
            rubles = int(min(500000, max(100, round(mean * rng.uniform(0.6, 1.4), -1))))
            amount = D(rubles).quantize(CENT)
            payer = rng.choice(users) if users and rng.random() < 0.8 else None
            email = payer[1] if payer else f"info@c{contract}.example"
            if rng.random() < 0.35:
                moves += self._terminal(rng, pk, contract, client_id, j, at, amount, email)
                if moves and moves[-1][0] == at and moves[-1][1] > 0:
                    credited.append((pk, amount, Channel.TERMINAL, at))
            else:
                created_by = payer[0] if payer and rng.random() < 0.6 else None
                card = self._card(rng, pk, contract, client_id, at, amount, email, created_by)
                moves += card
                if card:
                    credited.append((pk, amount, Channel.CARD, card[0][0]))
        self._payment_notices(rng, contract, users, credited[-2:])
        return moves

    def _terminal(
        self,
        rng: random.Random,
        pk: uuid.UUID,
        contract: str,
        client_id: int,
        j: int,
        at: dt.datetime,
        amount: Decimal,
        email: str,
    ) -> list[tuple[dt.datetime, Decimal]]:
        cancelled = rng.random() < 0.01 and at < self.now - self.moneyback
        record = None
        moves: list[tuple[dt.datetime, Decimal]] = []
        closed = None
        if cancelled:
            # The terminal network took it back inside the window, before any export: the
            # billing record was withdrawn, the ledger got the cancellation.
            closed = at + dt.timedelta(
                seconds=rng.randint(300, int(self.moneyback.total_seconds()) - 60)
            )
        else:
            record = self._outbox(
                rng,
                "payment.captured",
                at,
                {
                    "contract": contract,
                    "payment_id": str(pk),
                    "amount": format_money(amount),
                    "channel": Channel.TERMINAL,
                    "captured_at": _wire(at),
                },
            )
            moves.append((at, amount))
        self.w.add(
            Payment,
            (
                pk,
                client_id,
                Channel.TERMINAL,
                PaymentStatus.CANCELLED if cancelled else PaymentStatus.ACCEPTED,
                amount,
                amount,
                D("0.00"),
                email,
                None,
                "",
                None,
                None,
                at,
                f"9{contract}{j:04d}",
                timezone.localtime(at).strftime("%Y-%m-%dT%H:%M:%S"),
                at,
                at + self.moneyback,
                closed,
                record,
                at,
                closed or at,
            ),
        )
        note = self.channel_label[Channel.TERMINAL]
        self.w.add(LedgerEntry, (client_id, pk, LedgerKind.PAYMENT, amount, note, at))
        if closed:
            self.w.add(LedgerEntry, (client_id, pk, LedgerKind.CANCELLATION, -amount, "", closed))
        return moves

    def _card_status(self, rng: random.Random, at: dt.datetime) -> str:
        """A card payment's fate; one that cannot have reached a state by now has not."""
        now = self.now
        # Authorised within a few minutes, captured up to ten minutes after the window.
        if at > now - self.moneyback - dt.timedelta(minutes=15):
            return rng.choices(
                [PaymentStatus.AUTHORIZED, PaymentStatus.PENDING, PaymentStatus.DECLINED],
                [70, 15, 15],
            )[0]
        status = rng.choices(
            [
                PaymentStatus.CAPTURED,
                PaymentStatus.REFUNDED,
                "partial",
                PaymentStatus.DECLINED,
                PaymentStatus.VOIDED,
                PaymentStatus.EXPIRED,
                PaymentStatus.FAILED,
                PaymentStatus.PENDING,
            ],
            [880, 15, 15, 50, 15, 5, 10, 10],
        )[0]
        if status == PaymentStatus.EXPIRED and at > now - dt.timedelta(days=8):
            return PaymentStatus.VOIDED
        if status == PaymentStatus.PENDING and at > now - dt.timedelta(days=2):
            return PaymentStatus.DECLINED  # the gateway has answered by now
        if status in (PaymentStatus.REFUNDED, "partial") and at > now - dt.timedelta(hours=5):
            return PaymentStatus.CAPTURED
        return status

    def _card(
        self,
        rng: random.Random,
        pk: uuid.UUID,
        contract: str,
        client_id: int,
        at: dt.datetime,
        amount: Decimal,
        email: str,
        created_by: int | None,
    ) -> list[tuple[dt.datetime, Decimal]]:
        now = self.now
        status = self._card_status(rng, at)
        gateway_id = "" if status == PaymentStatus.FAILED else f"ds_{pk.hex}"
        authorized: dt.datetime | None = None
        capture_before: dt.datetime | None = None
        moneyback: dt.datetime | None = None
        captured: dt.datetime | None = None
        closed: dt.datetime | None = None
        captured_amount = refunded = D("0.00")
        record = None
        moves: list[tuple[dt.datetime, Decimal]] = []
        updated = at
        if status in (PaymentStatus.DECLINED, PaymentStatus.FAILED):
            closed = updated = at + dt.timedelta(seconds=rng.randint(5, 120))
        elif status != PaymentStatus.PENDING:
            held = at + dt.timedelta(seconds=rng.randint(20, 240))
            window = held + self.moneyback
            authorized, capture_before, moneyback = held, held + dt.timedelta(days=7), window
            updated = held
            if status == PaymentStatus.VOIDED:
                closed = updated = self._between(
                    rng, held + dt.timedelta(minutes=5), window - dt.timedelta(minutes=1)
                )
            elif status == PaymentStatus.EXPIRED:
                closed = updated = capture_before
            elif status != PaymentStatus.AUTHORIZED:
                taken = window + dt.timedelta(seconds=rng.randint(10, 600))
                captured, captured_amount, updated = taken, amount, taken
                record = self._outbox(
                    rng,
                    "payment.captured",
                    taken,
                    {
                        "contract": contract,
                        "payment_id": str(pk),
                        "amount": format_money(amount),
                        "channel": Channel.CARD,
                        "captured_at": _wire(taken),
                    },
                )
                moves.append((taken, amount))
                note = self.channel_label[Channel.CARD]
                self.w.add(LedgerEntry, (client_id, pk, LedgerKind.PAYMENT, amount, note, taken))
                if status in (PaymentStatus.REFUNDED, "partial"):
                    latest = min(taken + dt.timedelta(days=20), now - dt.timedelta(minutes=1))
                    refund_at = self._between(rng, taken + dt.timedelta(hours=1), latest)
                    if status == "partial":
                        share = D(rng.choice([10, 20, 25, 30, 50]))
                        refunded = (amount * share / 100).quantize(CENT)
                        status = PaymentStatus.CAPTURED
                    else:
                        refunded = amount
                        closed = refund_at
                    updated = refund_at
                    self._outbox(
                        rng,
                        "payment.refunded",
                        refund_at,
                        {
                            "contract": contract,
                            "payment_id": str(pk),
                            "amount": format_money(refunded),
                            "refunded_at": _wire(refund_at),
                        },
                    )
                    moves.append((refund_at, -refunded))
                    self.w.add(
                        LedgerEntry, (client_id, pk, LedgerKind.REFUND, -refunded, "", refund_at)
                    )
                    self._refund_audit(rng, pk, amount, refunded, status, refund_at)
        self.w.add(
            Payment,
            (
                pk,
                client_id,
                Channel.CARD,
                status,
                amount,
                captured_amount,
                refunded,
                email,
                created_by,
                gateway_id,
                authorized,
                capture_before,
                captured,
                None,
                "",
                None,
                moneyback,
                closed,
                record,
                at,
                updated,
            ),
        )
        return moves

    def _refund_audit(
        self,
        rng: random.Random,
        pk: uuid.UUID,
        amount: Decimal,
        refunded: Decimal,
        status: str,
        at: dt.datetime,
    ) -> None:
        manager = rng.choice(self.managers)
        money = f"{amount:.2f}"
        before = {
            "status": "captured",
            "amount": money,
            "captured_amount": money,
            "refunded_amount": "0.00",
            "flagged": False,
        }
        after = {**before, "status": status, "refunded_amount": f"{refunded:.2f}"}
        self.w.add(
            AuditEntry,
            (
                at,
                manager.pk,
                manager.email,
                "payment.refund",
                self.payment_ct,
                str(pk),
                f"{self.channel_label[Channel.CARD]} {money} RUB ({str(pk)[:8]})",
                before,
                {**after, "refund": f"{refunded:.2f}"},
                rng.choice(REFUND_REASONS),
            ),
        )

    def _payment_notices(
        self,
        rng: random.Random,
        contract: str,
        users: list[tuple[int, str, str]],
        credited: list[tuple[uuid.UUID, Decimal, str, dt.datetime]],
    ) -> None:
        for index, (pk, amount, channel, at) in enumerate(credited):
            newest = index == len(credited) - 1
            for user_id, _email, language in users:
                title, card_body, terminal_body = self.notice.get(language, self.notice["ru"])
                params = {"amount": f"{format_money(amount)} RUB", "contract": contract}
                body = card_body if channel == Channel.CARD else terminal_body
                unread = newest and rng.random() < 0.5
                read_at = (
                    None if unread else min(at + dt.timedelta(hours=rng.randint(1, 48)), self.now)
                )
                self.w.add(
                    Notification,
                    (
                        user_id,
                        Category.PAYMENT,
                        (title % params)[:300],
                        body % params,
                        self.receipt_url.format(pk),
                        at,
                        read_at,
                        EmailStatus.SENT,
                        1,
                        at + dt.timedelta(seconds=rng.randint(5, 90)),
                    ),
                )

    # --- requests and threads --------------------------------------------------------------

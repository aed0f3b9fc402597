"""The demo history: idempotent, credible, and never on the wire."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kabinet.accounts.models import Client
from kabinet.demo.seed import seed_demo
from kabinet.exchange.models import OutboxRecord
from kabinet.payments.models import GatewayMessage, LedgerEntry, Payment
from kabinet.payments.selectors import client_balance

pytestmark = pytest.mark.django_db


def test_demo_payments_are_seeded_once(settings, tmp_path):
    seed_demo()
    counts = (Payment.objects.count(), LedgerEntry.objects.count(), OutboxRecord.objects.count())
    seed_demo()
    assert (
        Payment.objects.count(),
        LedgerEntry.objects.count(),
        OutboxRecord.objects.count(),
    ) == counts
    assert counts[0] == 10
    balances = {
        c.contract_number: client_balance(client=c)
        for c in Client.objects.filter(contract_number__in=["100001", "100002", "100003", "100004"])
    }
    assert balances == {
        "100001": Decimal("48000.00"),
        "100002": Decimal("80750.50"),
        "100003": Decimal("9600.00"),
        "100004": Decimal("1500.00"),
    }
    assert set(Payment.objects.values_list("status", flat=True)) == {
        "captured",
        "accepted",
        "refunded",
    }
    assert not GatewayMessage.objects.exists()
    assert not Payment.objects.filter(client__contract_number="100005").exists()

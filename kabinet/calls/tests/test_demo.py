"""The demo gives client 100001 a few hundred calls this month and last, once."""

from __future__ import annotations

import pytest
from django.utils import timezone

from kabinet.accounts.models import Client
from kabinet.calls import partitions
from kabinet.calls.demo import load
from kabinet.calls.models import Call
from kabinet.demo.seed import seed_demo

pytestmark = pytest.mark.django_db


def test_demo_client_100001_has_calls_this_month_and_last_and_a_second_run_adds_none():
    seed_demo(only=("catalog", "calls"))
    client = Client.objects.get(contract_number="100001")
    this = partitions.current_month()
    last = partitions.add_months(this, -1)
    last_count = Call.objects.filter(
        client=client,
        started_at__gte=partitions.month_start(last),
        started_at__lt=partitions.month_start(this),
    ).count()
    assert last_count >= 200
    this_count = Call.objects.filter(
        client=client, started_at__gte=partitions.month_start(this)
    ).count()
    # Every day of the month so far has its calls (on the 1st, the first of them).
    assert this_count >= (20 if timezone.localdate().day > 1 else 0)
    assert set(Call.objects.filter(client=client).values_list("number", flat=True)) == {
        "78124001001"
    }
    before = Call.objects.count()
    assert load() == ["calls: demo call details exist, left as they are"]
    assert Call.objects.count() == before

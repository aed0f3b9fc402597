"""generate_dataset writes call details: the last three full months and this one so far,
valid for the import's own rules, the bench client the busiest."""

from __future__ import annotations

import re

import pytest
from django.db.models import Count, Max
from django.utils import timezone

from kabinet.calls import partitions
from kabinet.calls.models import Call
from kabinet.demo.dataset import BENCH_CLIENT_EMAIL, dataset_generate

pytestmark = pytest.mark.django_db


def test_the_dataset_has_calls_for_its_active_clients():
    now = timezone.now().replace(microsecond=0)
    report = dataset_generate(clients=12, payments_per_client=2, seed=3, batch_size=5, now=now)
    assert report.counts["calls.Call"] == Call.objects.count() > 4000
    first = partitions.month_start(partitions.add_months(partitions.month_of(now), -3))
    assert Call.objects.filter(started_at__lt=first).count() == 0
    assert Call.objects.aggregate(m=Max("started_at"))["m"] < now
    busiest = Call.objects.values("client__contract_number").annotate(n=Count("id")).order_by("-n")
    assert busiest[0]["client__contract_number"] == report.bench_contract
    for call in Call.objects.order_by("id")[:500]:
        assert re.fullmatch(r"[1-9]\d{6,14}", call.number)
        assert call.peer == "" or re.fullmatch(r"\d{1,20}", call.peer)
        assert (call.direction == "in") == (call.zone == "incoming")
        assert call.amount >= 0
    assert report.bench_client == BENCH_CLIENT_EMAIL

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest

from kabinet.calls import partitions
from kabinet.calls.days import calls_store
from kabinet.calls.models import Call
from kabinet.exchange.tests.conftest import peer, site_key

__all__ = ["make_call", "peer", "site_key"]

_ids = itertools.count(1)


@pytest.fixture
def make_call(db):
    """A stored call (the partition of its month made first, as the import does)."""

    def make(client, started_at: dt.datetime, **extra) -> Call:
        partitions.ensure_partitions([partitions.month_of(started_at)])
        data = {
            "call_id": f"C-{next(_ids)}",
            "direction": "out",
            "number": "78124001001",
            "peer": "74951234567",
            "zone": "long_distance",
            "duration_s": 65,
            "amount": Decimal("4.50"),
        }
        data.update(extra)
        call = Call(client=client, started_at=started_at, **data)
        calls_store([call])
        return call

    return make

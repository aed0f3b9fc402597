from decimal import Decimal

import pytest

from kabinet.calls.tests.conftest import make_call
from kabinet.catalog.models import Service, Tariff, TariffVersion
from kabinet.exchange.tests.conftest import peer, site_key

__all__ = ["make_call", "peer", "site_key"]


@pytest.fixture
def label_tariff(db):
    service = Service.objects.create(code="call-labelling", name="Маркировка", name_en="Labelling")
    tariff = Tariff.objects.create(service=service, code="call-labelling", name="Маркировка")
    TariffVersion.objects.create(
        tariff=tariff,
        effective_from="2025-01-01",
        monthly_fee=Decimal("0.00"),
        setup_fee=Decimal("0.00"),
        per_minute_local=Decimal("0.00"),
        per_minute_long_distance=Decimal("0.00"),
        per_minute_international=Decimal("0.00"),
    )
    return tariff

from decimal import Decimal

import pytest
from django.utils import translation

from kabinet.calls.tests.conftest import make_call
from kabinet.catalog.models import Service, Tariff, TariffVersion
from kabinet.exchange.tests.conftest import peer, site_key

__all__ = ["make_call", "peer", "site_key"]


@pytest.fixture
def english():
    """Service-level tests read the messages in English; Russian, the default, is checked
    in test_views. (Used by the modules that need it: ``pytestmark``.)"""
    with translation.override("en"):
        yield


@pytest.fixture
def numbers(company):
    from .helpers import give

    return give(company, "78124001001", "78124001002")


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

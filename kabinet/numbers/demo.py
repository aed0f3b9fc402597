"""Demo: every demo client's numbers, taken from its subscriptions' "number" parameters (as
billing would assign them), and the catalogue's call labelling service with its tariff.
Sign in as client100001@kabinet.test → "Numbers" → "Call labelling"."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from kabinet.catalog.models import Service, Tariff, TariffVersion, Visibility
from kabinet.catalog.services import tariff_record
from kabinet.subscriptions.models import Subscription, SubscriptionStatus

from .models import PhoneNumber
from .services import number_assign

SERVICE = {
    "code": "call-labelling",
    "name": "Маркировка звонков",
    "name_en": "Call labelling",
    "description": "Название компании, категория и текст на экране вызываемого абонента.",
}
TARIFF = ("call-labelling", "Маркировка", "Labelling", Decimal("300.00"))


def _digits(value: object) -> str:
    return "".join(c for c in str(value or "") if c.isdigit())


def seed_service() -> Tariff:
    service, _ = Service.objects.get_or_create(
        code=SERVICE["code"],
        defaults={
            "name": SERVICE["name"],
            "name_en": SERVICE["name_en"],
            "description": SERVICE["description"],
            "position": 90,
        },
    )
    code, name, name_en, fee = TARIFF
    tariff, created = Tariff.objects.get_or_create(
        code=code,
        defaults={
            "service": service,
            "name": name,
            "name_en": name_en,
            "visibility": Visibility.PUBLIC,
        },
    )
    if created:
        version = TariffVersion.objects.create(
            tariff=tariff,
            effective_from=timezone.localdate() - dt.timedelta(days=30),
            monthly_fee=fee,
            setup_fee=Decimal("0.00"),
            per_minute_local=Decimal("0.00"),
            per_minute_long_distance=Decimal("0.00"),
            per_minute_international=Decimal("0.00"),
        )
        tariff_record(tariff, version)
    return tariff


# A second line of the first demo client's local number, so an application may pick some.
EXTRA = {"78124001001": ["78124001002"]}


@transaction.atomic
def load() -> list[str]:
    from importlib import import_module

    from .models import CallCategory, ConsentText

    # The categories and the first consent come with the migrations; a database flushed
    # since (a test's) gets them again.
    import_module("kabinet.numbers.migrations.0002_seed_categories_consent").seed_with(
        CallCategory, ConsentText
    )
    tariff = seed_service()
    added = 0
    subscriptions = Subscription.objects.exclude(status=SubscriptionStatus.CLOSED).order_by("pk")
    for subscription in subscriptions:
        first = _digits(subscription.parameters.get("number"))
        if len(first) < 7:
            continue
        for number in [first, *EXTRA.get(first, [])]:
            if PhoneNumber.objects.filter(number=number).exists():
                continue
            number_assign(
                client_id=subscription.client_id,
                number=number,
                subscription_id=subscription.pk,
                at=subscription.created_at,
            )
            added += 1
    return [
        f"numbers: {added} added, {PhoneNumber.objects.filter(released_at__isnull=True).count()} "
        f"held; call labelling tariff {tariff.code}"
    ]

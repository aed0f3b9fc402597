"""Services, tariffs and price versions beyond the demo's, and each client's subscriptions."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.utils import timezone

from kabinet.accounts.models import ClientStatus
from kabinet.catalog import demo as catalog_demo
from kabinet.catalog.models import (
    PRICE_FIELDS,
    ParameterSpec,
    ParamType,
    Service,
    Tariff,
    TariffOffer,
    TariffVersion,
    Visibility,
)
from kabinet.lib.money import format_money
from kabinet.subscriptions.models import Subscription, SubscriptionStatus

from .common import (
    BENCH_TARIFF_CODE,
    D,
    _Base,
    _Service,
    _Sub,
    _Tariff,
)


def _prices(*values: str) -> dict[str, Decimal]:
    return {name: D(v) for name, v in zip(PRICE_FIELDS, values, strict=True)}


# Tariffs a large operator has besides the demo's: (service, code, name, name_en,
# visibility, [(days before today the version takes effect, prices)]). A negative number
# of days is a price change announced for the future.
EXTRA_TARIFFS: list[tuple[str, str, str, str, str, list[tuple[int, dict[str, Decimal]]]]] = [
    (
        "local-number",
        BENCH_TARIFF_CODE,
        "Офис",
        "Office",
        Visibility.PUBLIC,
        [
            (1100, _prices("590.00", "500.00", "0.00", "2.40", "18.00")),
            (560, _prices("650.00", "500.00", "0.00", "2.30", "17.50")),
            (200, _prices("690.00", "0.00", "0.00", "2.20", "17.00")),
        ],
    ),
    (
        "local-number",
        "local-pro",
        "Профи",
        "Pro",
        Visibility.PUBLIC,
        [
            (900, _prices("1490.00", "0.00", "0.00", "1.50", "13.00")),
            (300, _prices("1590.00", "0.00", "0.00", "1.50", "12.00")),
            (-20, _prices("1690.00", "0.00", "0.00", "1.40", "12.00")),
        ],
    ),
    (
        "long-distance",
        "ld-russia",
        "Вся Россия",
        "All Russia",
        Visibility.PUBLIC,
        [
            (800, _prices("200.00", "0.00", "0.00", "1.90", "23.00")),
            (250, _prices("250.00", "0.00", "0.00", "1.70", "23.00")),
        ],
    ),
    (
        "vpbx",
        "vpbx-100",
        "АТС-100",
        "PBX-100",
        Visibility.PUBLIC,
        [(700, _prices("8900.00", "0.00", "0.00", "0.00", "0.00"))],
    ),
    (
        "vpbx",
        "vpbx-2020",
        "АТС-2020",
        "PBX 2020",
        Visibility.ARCHIVED,
        [
            (1800, _prices("990.00", "3000.00", "0.00", "0.00", "0.00")),
            (1200, _prices("1190.00", "3000.00", "0.00", "0.00", "0.00")),
        ],
    ),
    (
        "forwarding",
        "fwd-2018",
        "Переадресация-2018",
        "Forwarding 2018",
        Visibility.ARCHIVED,
        [(2000, _prices("90.00", "0.00", "0.00", "0.00", "0.00"))],
    ),
]
# How often each tariff is chosen for a new subscription of its service (unknown: 5).
TARIFF_WEIGHTS = {
    BENCH_TARIFF_CODE: 0,  # only the subscriptions chosen for the bench
    "local-start": 30,
    "local-business": 35,
    "local-pro": 15,
    "local-2019": 15,
    "local-partner": 2,
    "ld-base": 50,
    "ld-world": 30,
    "ld-russia": 20,
    "fwd-standard": 80,
    "fwd-2018": 20,
    "vm-basic": 1,
    "vpbx-10": 50,
    "vpbx-50": 25,
    "vpbx-100": 8,
    "vpbx-2020": 15,
}
BASE_SERVICE = "local-number"
SERVICE_WEIGHTS = {"long-distance": 8, "forwarding": 5, "voicemail": 3, "vpbx": 4}


class CatalogPart(_Base):
    def _pick_tariff(
        self, rng: random.Random, service: _Service, client_id: int, since: dt.datetime
    ) -> _Tariff:
        recent = since > self.now - dt.timedelta(days=700)
        choices = (
            [
                t
                for t in service.tariffs
                if t.weight > 0 and not (recent and t.visibility == Visibility.ARCHIVED)
            ]
            or [t for t in service.tariffs if t.code != BENCH_TARIFF_CODE]
            or service.tariffs
        )
        tariff = rng.choices(choices, [max(t.weight, 1) for t in choices])[0]
        if tariff.visibility == Visibility.EXCLUSIVE and (tariff.id, client_id) not in self.offers:
            self.offers.add((tariff.id, client_id))
            self.w.add(TariffOffer, (tariff.id, client_id, since - dt.timedelta(days=3)))
        return tariff

    def _parameters(self, rng: random.Random, service: _Service, contract: str) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for spec in service.specs:
            values[spec.code] = self._value(rng, service.code, spec, contract)
        if service.code == "forwarding" and "enabled" in values and "target" in values:
            values["target"] = (
                f"+79{rng.randint(100000000, 999999999)}" if values["enabled"] else None
            )
        return values

    def _value(self, rng: random.Random, service: str, spec: ParameterSpec, contract: str) -> Any:
        if spec.type == ParamType.BOOL:
            return rng.random() < (0.7 if spec.default else 0.3)
        if spec.type == ParamType.INT:
            low = spec.min_value if spec.min_value is not None else 0
            high = spec.max_value if spec.max_value is not None else low + 100
            common = [v for v in (1, 2, 2, 3, 4, 5, 8, 10, 15, 20, 30) if low <= v <= high]
            if spec.code == "monthly_limit":
                common = [v for v in (1000, 3000, 5000, 5000, 10000, 30000) if low <= v <= high]
            return rng.choice(common) if common and rng.random() < 0.9 else rng.randint(low, high)
        if spec.type == ParamType.CHOICE:
            return rng.choice([c["value"] for c in spec.choices])
        if spec.type == ParamType.PHONE:
            if not spec.required and spec.code != "number" and rng.random() < 0.3:
                return None
            return f"+7812{rng.randint(3000000, 7999999)}"
        # Text: the known patterns of the demo catalog, the default otherwise.
        if spec.code == "email":
            return f"voicemail@c{contract}.example"
        if spec.code == "prefix":
            return str(rng.randint(1, 9))
        return spec.default

    def _subscriptions(
        self,
        rng: random.Random,
        g: int,
        contract: str,
        client_id: int,
        created: dt.datetime,
        client_status: str,
        status_changed: dt.datetime | None,
        on_bench_tariff: bool,
    ) -> list[_Sub]:
        count = 3 if on_bench_tariff and g == 0 else 2 + g % 3
        base = self.by_code.get(BASE_SERVICE) or self.services[0]
        others = [s for s in self.services if s is not base]
        chosen = [base]
        pool = list(others)
        while len(chosen) < count and pool:
            pick = rng.choices(pool, [s.weight for s in pool])[0]
            pool.remove(pick)
            chosen.append(pick)
        subs = []
        for position, service in enumerate(chosen):
            since = self._between(
                rng, created + dt.timedelta(days=position * 7), created + dt.timedelta(days=400)
            )
            since = min(since, self.now - dt.timedelta(days=2))
            bench = on_bench_tariff and position == 0
            if bench:
                tariff = self.bench_tariff
                self.bench_assigned += 1
            else:
                tariff = self._pick_tariff(rng, service, client_id, since)
            status, closed_at = SubscriptionStatus.ACTIVE, None
            if client_status == ClientStatus.CLOSED:
                status, closed_at = SubscriptionStatus.CLOSED, status_changed
            elif client_status == ClientStatus.SUSPENDED:
                status = SubscriptionStatus.SUSPENDED
            elif not bench and position > 0:
                roll = rng.random()
                if roll < 0.05 and since < self.now - dt.timedelta(days=60):
                    status = SubscriptionStatus.CLOSED
                    closed_at = self._between(rng, since + dt.timedelta(days=30), self.now)
                elif roll < 0.07:
                    status = SubscriptionStatus.SUSPENDED
            if closed_at is not None and closed_at <= since:
                closed_at = since + dt.timedelta(days=1)
            parameters = self._parameters(rng, service, contract)
            sub_id = self.w.next_id(Subscription)
            changed = max(
                closed_at or (status_changed if status != "active" else None) or since, since
            )
            self.w.add(
                Subscription,
                (
                    sub_id,
                    client_id,
                    service.id,
                    tariff.id,
                    status,
                    parameters,
                    since,
                    changed,
                    closed_at,
                ),
            )
            record = {
                "contract": contract,
                "subscription_id": str(sub_id),
                "service_code": service.code,
                "tariff_code": tariff.code,
                "status": "active",
                "parameters": parameters,
            }
            self._outbox(rng, "subscription.upserted", since, record)
            if status != SubscriptionStatus.ACTIVE:
                self._outbox(
                    rng, "subscription.upserted", max(changed, since), {**record, "status": status}
                )
            subs.append(_Sub(sub_id, service, tariff, status, parameters, since, closed_at))
        return subs

    # --- payments --------------------------------------------------------------------------


def _ensure_catalog(now: dt.datetime) -> tuple[list[tuple[Tariff, TariffVersion]], list[_Service]]:
    """The demo catalog (as ``seed_demo`` makes it) and the extra tariffs; returns the new
    versions (for their billing records) and the services with their tariffs."""
    today = timezone.localdate(now)
    created: list[tuple[Tariff, TariffVersion]] = []
    for position, data in enumerate(catalog_demo.SERVICES, start=1):
        service, _ = Service.objects.get_or_create(
            code=data["code"],
            defaults={
                "name": data["name"],
                "name_en": data["name_en"],
                "description": data["description"],
                "position": position * 10,
                "created_at": now - dt.timedelta(days=2500),
            },
        )
        for order, spec in enumerate(data["params"], start=1):
            ParameterSpec.objects.get_or_create(
                service=service, code=spec["code"], defaults={**spec, "position": order}
            )
        for code, name, name_en, visibility, prices in data["tariffs"]:
            tariff, is_new = Tariff.objects.get_or_create(
                code=code,
                defaults={
                    "service": service,
                    "name": name,
                    "name_en": name_en,
                    "visibility": visibility,
                    "created_at": now - dt.timedelta(days=414),
                },
            )
            if is_new:
                version = TariffVersion.objects.create(
                    tariff=tariff,
                    effective_from=today - dt.timedelta(days=400),
                    created_at=now - dt.timedelta(days=414),
                    **dict(zip(catalog_demo.PRICE_NAMES, map(D, prices), strict=True)),
                )
                created.append((tariff, version))
    for service_code, code, name, name_en, visibility, versions in EXTRA_TARIFFS:
        service = Service.objects.get(code=service_code)
        tariff, is_new = Tariff.objects.get_or_create(
            code=code,
            defaults={
                "service": service,
                "name": name,
                "name_en": name_en,
                "visibility": visibility,
                "created_at": now - dt.timedelta(days=versions[0][0] + 14),
            },
        )
        if is_new:
            for days, prices in versions:
                version = TariffVersion.objects.create(
                    tariff=tariff,
                    effective_from=today - dt.timedelta(days=days),
                    created_at=now - dt.timedelta(days=max(days, 0) + 14),
                    **prices,
                )
                created.append((tariff, version))
    services = []
    for service in Service.objects.filter(is_active=True).prefetch_related("parameters"):
        tariffs = []
        for tariff in Tariff.objects.alive().filter(service=service).prefetch_related("versions"):
            history = sorted(tariff.versions.all(), key=lambda v: v.effective_from)
            if not history:
                continue
            tariffs.append(
                _Tariff(
                    id=tariff.pk,
                    code=tariff.code,
                    name=tariff.name,
                    service_code=service.code,
                    visibility=tariff.visibility,
                    weight=TARIFF_WEIGHTS.get(tariff.code, 5)
                    if tariff.visibility != Visibility.EXCLUSIVE or tariff.code in TARIFF_WEIGHTS
                    else 0,
                    versions=[(v.effective_from, v.prices) for v in history],
                )
            )
        if tariffs:
            services.append(
                _Service(
                    id=service.pk,
                    code=service.code,
                    weight=SERVICE_WEIGHTS.get(service.code, 2),
                    specs=list(service.parameters.all()),
                    tariffs=tariffs,
                )
            )
    return created, services


def _tariff_records(gen: _Base, created: list[tuple[Tariff, TariffVersion]]) -> None:
    rng = random.Random(f"{gen.seed}:tariffs")
    for tariff, version in created:
        gen._outbox(
            rng,
            "tariff.upserted",
            version.created_at,
            {
                "tariff_code": tariff.code,
                "service_code": tariff.service.code,
                "name": tariff.name,
                "visibility": tariff.visibility,
                "effective_from": version.effective_from.isoformat(),
                "prices": {k: format_money(v) for k, v in version.prices.items()},
            },
        )

"""State changes of the catalog: services, their parameter schemas, tariffs and their offers.

What a tariff change does to the clients on it (the impact preview, price changes with
their notices, moving subscriptions, deleting) is in kabinet.subscriptions.tariffs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from kabinet.accounts.models import Client, User
from kabinet.audit.services import audit_record, audit_snapshot

from .events import tariff_changed
from .models import (
    ParameterSpec,
    Service,
    Tariff,
    TariffOffer,
    TariffVersion,
)
from .params import validate_spec

SERVICE_FIELDS = ("code", "name", "name_en", "description", "is_active", "position")
PARAM_FIELDS = (
    "code",
    "label",
    "label_en",
    "help",
    "help_en",
    "type",
    "default",
    "min_value",
    "max_value",
    "choices",
    "pattern",
    "required",
    "client_editable",
    "needs_approval",
    "position",
)
TARIFF_FIELDS = ("code", "name", "name_en", "description", "description_en", "visibility")


# --- Services and parameters --------------------------------------------------------------


def service_save(
    *,
    actor: User,
    service: Service | None,
    data: dict[str, Any],
    request: HttpRequest | None = None,
) -> Service:
    with transaction.atomic():
        before = audit_snapshot(service, SERVICE_FIELDS) if service else {}
        service = service or Service()
        for name, value in data.items():
            setattr(service, name, value)
        service.full_clean()
        service.save()
        audit_record(
            actor=actor,
            action="service.update" if before else "service.create",
            obj=service,
            before=before,
            after=audit_snapshot(service, SERVICE_FIELDS),
            request=request,
        )
    return service


def parameter_save(
    *,
    actor: User,
    service: Service,
    spec: ParameterSpec | None,
    data: dict[str, Any],
    request: HttpRequest | None = None,
) -> ParameterSpec:
    with transaction.atomic():
        before = audit_snapshot(spec, PARAM_FIELDS) if spec else {}
        spec = spec or ParameterSpec(service=service)
        for name, value in data.items():
            setattr(spec, name, value)
        validate_spec(spec)
        spec.full_clean()
        spec.save()
        audit_record(
            actor=actor,
            action="parameter.update" if before else "parameter.create",
            obj=service,
            before={spec.code: before} if before else {},
            after={spec.code: audit_snapshot(spec, PARAM_FIELDS)},
            request=request,
        )
    return spec


# --- Tariffs ------------------------------------------------------------------------------


def tariff_record(tariff: Tariff, version: TariffVersion | None) -> None:
    """Tell the listeners (billing's outbox) about this tariff and the version it must know."""
    tariff_changed.send(sender=Tariff, tariff=tariff, version=version)


def tariff_create(
    *,
    actor: User,
    service: Service,
    data: dict[str, Any],
    prices: dict[str, Decimal],
    request: HttpRequest | None = None,
) -> Tariff:
    """A new tariff with its first prices, in force from today."""
    with transaction.atomic():
        tariff = Tariff(service=service, **data)
        tariff.full_clean()
        tariff.save()
        version = TariffVersion.objects.create(
            tariff=tariff, effective_from=timezone.localdate(), created_by=actor, **prices
        )
        tariff_record(tariff, version)
        audit_record(
            actor=actor,
            action="tariff.create",
            obj=tariff,
            after={**audit_snapshot(tariff, TARIFF_FIELDS), **version.prices},
            request=request,
        )
    return tariff


def tariff_update(
    *, actor: User, tariff: Tariff, data: dict[str, Any], request: HttpRequest | None = None
) -> Tariff:
    """Names, descriptions and visibility. Archiving changes nothing for current clients."""
    with transaction.atomic():
        tariff = Tariff.objects.select_for_update().get(pk=tariff.pk)
        before = audit_snapshot(tariff, TARIFF_FIELDS)
        for name, value in data.items():
            setattr(tariff, name, value)
        tariff.full_clean()
        tariff.save()
        after = audit_snapshot(tariff, TARIFF_FIELDS)
        if before != after:
            action = "tariff.update"
            if before["visibility"] != after["visibility"]:
                action = f"tariff.{after['visibility']}"
            tariff_record(tariff, tariff.current_version)
            audit_record(
                actor=actor, action=action, obj=tariff, before=before, after=after, request=request
            )
    return tariff


def tariff_set_offers(
    *, actor: User, tariff: Tariff, clients: list[Client], request: HttpRequest | None = None
) -> None:
    """The clients an exclusive tariff is offered to."""
    with transaction.atomic():
        before = sorted(tariff.offers.values_list("client__contract_number", flat=True))
        wanted = {c.pk for c in clients}
        TariffOffer.objects.filter(tariff=tariff).exclude(client_id__in=wanted).delete()
        existing = set(
            TariffOffer.objects.filter(tariff=tariff).values_list("client_id", flat=True)
        )
        TariffOffer.objects.bulk_create(
            [TariffOffer(tariff=tariff, client=c) for c in clients if c.pk not in existing]
        )
        after = sorted(c.contract_number for c in clients)
        if before != after:
            audit_record(
                actor=actor,
                action="tariff.offers",
                obj=tariff,
                before={"offered_to": before},
                after={"offered_to": after},
                request=request,
            )


def earliest_price_change_date() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=settings.KABINET_TARIFF_NOTICE_DAYS)

"""Read queries over the catalog, shared by the public site and both cabinets."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from kabinet.accounts.models import Client

from .models import ParameterSpec, Service, Tariff, TariffVersion, Visibility


def with_versions(qs: QuerySet[Tariff]) -> QuerySet[Tariff]:
    return qs.select_related("service").prefetch_related(
        Prefetch("versions", queryset=TariffVersion.objects.order_by("-effective_from"))
    )


def public_tariffs() -> QuerySet[Tariff]:
    """What anyone may see: public tariffs of services on sale."""
    return with_versions(
        Tariff.objects.alive().filter(visibility=Visibility.PUBLIC, service__is_active=True)
    )


def tariffs_offered_to(client: Client) -> QuerySet[Tariff]:
    """Tariffs a client may move to or connect: public ones and exclusives offered to them.

    Never archived ones, never another client's exclusives (the client's current tariff is
    shown beside this list, whatever its visibility).
    """
    return with_versions(
        Tariff.objects.alive()
        .filter(service__is_active=True)
        .filter(
            Q(visibility=Visibility.PUBLIC)
            | Q(visibility=Visibility.EXCLUSIVE, offers__client=client)
        )
        .distinct()
    )


def services_with_public_tariffs() -> list[Service]:
    services = list(
        Service.objects.filter(is_active=True).prefetch_related(
            Prefetch("tariffs", queryset=public_tariffs(), to_attr="public_tariffs"),
            Prefetch("parameters", queryset=ParameterSpec.objects.order_by("position", "id")),
        )
    )
    return [s for s in services if s.public_tariffs]  # type: ignore[attr-defined]

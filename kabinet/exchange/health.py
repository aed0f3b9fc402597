"""The exchange's part of /healthz: records waiting to leave, packages billing has not confirmed."""

from __future__ import annotations

from django.conf import settings

from kabinet.core.health import Check, aged

from .models import Direction, ExchangePackage, OutboxRecord, PackageStatus


def check_exchange() -> list[Check]:
    # Export order is id order (the partial index on pending rows), so the first is the oldest.
    pending = (
        OutboxRecord.objects.filter(package_sequence__isnull=True)
        .order_by("id")
        .values_list("at", flat=True)
        .first()
    )
    unacknowledged = (
        ExchangePackage.objects.filter(
            direction=Direction.SITE_TO_BILLING, status=PackageStatus.EXPORTED
        )
        .order_by("sequence")
        .values_list("created_at", flat=True)
        .first()
    )
    return [
        aged(
            "outbox_pending",
            pending,
            settings.KABINET_HEALTH_OUTBOX_HOURS * 3600,
            missing_ok=True,
        ),
        aged(
            "package_unacknowledged",
            unacknowledged,
            settings.KABINET_HEALTH_PACKAGE_HOURS * 3600,
            missing_ok=True,
        ),
    ]

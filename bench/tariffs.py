"""A tariff price change over tens of thousands of subscriptions, timed in-process."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from typing import Any

from .harness import (
    Row,
    log,
)


def tariff_change(tariff_code: str | None) -> dict[str, Any]:
    from django.db.models import Count

    from kabinet.accounts.models import User
    from kabinet.catalog.models import Tariff
    from kabinet.catalog.services import earliest_price_change_date
    from kabinet.notifications.models import Notification
    from kabinet.subscriptions.models import Subscription, SubscriptionStatus
    from kabinet.subscriptions.tariffs import tariff_change_prices

    tariff: Tariff | None
    if tariff_code:
        tariff = Tariff.objects.get(code=tariff_code)
    else:
        tariff = (
            Tariff.objects.annotate(n=Count("subscriptions"))
            .filter(n__gte=20000)
            .order_by("n")
            .first()
        )
        if tariff is None:
            tariff = Tariff.objects.annotate(n=Count("subscriptions")).order_by("-n").first()
    assert tariff is not None
    subs = (
        Subscription.objects.filter(tariff=tariff).exclude(status=SubscriptionStatus.CLOSED).count()
    )
    actor = User.objects.get(email="bench-manager@kabinet.test")
    version = tariff.versions.order_by("-effective_from").first()
    assert version is not None, f"tariff {tariff.code} has no price version"
    day = max(earliest_price_change_date(), version.effective_from + dt.timedelta(days=1))
    prices = {name: getattr(version, name) + Decimal("1.00") for name in version.prices}
    before = Notification.objects.count()
    from django_tasks_db.models import DBTaskResult

    tasks_before = DBTaskResult.objects.count()
    started = time.monotonic()
    tariff_change_prices(actor=actor, tariff=tariff, effective_from=day, prices=prices)
    seconds = time.monotonic() - started
    return {
        "tariff": tariff.code,
        "subscriptions": subs,
        "notices": Notification.objects.count() - before,
        "email_tasks": DBTaskResult.objects.count() - tasks_before,
        "seconds": round(seconds, 2),
    }


def tariff_change_row() -> Row:
    """A price change of the tariff with the most subscriptions, with its notices."""
    log("tariff price change")
    change = tariff_change(None)
    row = Row(
        f"tariff price change, {change['subscriptions']} subscriptions (s)",
        change["seconds"],
        None,
        round(10 / max(change["seconds"], 0.001), 3),
        1.0,
        {
            **change,
            "note": f"{change['notices']} notices and {change['email_tasks']} e-mail tasks queued",
        },
    )
    log(f"tariff change: {change}")
    return row

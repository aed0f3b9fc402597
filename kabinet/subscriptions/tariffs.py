"""What a change of a tariff does to the clients on it: who it touches (shown before it is
saved), a new price version with one notice per affected user, moving every subscription
to another tariff, and deleting a tariff nobody uses."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kabinet.accounts.models import Client, User
from kabinet.audit.services import audit_record
from kabinet.catalog.models import (
    PRICE_FIELDS,
    Tariff,
    TariffVersion,
    Visibility,
)
from kabinet.catalog.services import earliest_price_change_date, tariff_record
from kabinet.lib.money import display_money
from kabinet.notifications.models import Category
from kabinet.notifications.services import notification_new_batch, notification_send

from .models import Subscription, SubscriptionStatus
from .services import subscription_record


@dataclass
class ImpactRow:
    client: Client
    subscriptions: int
    old_monthly: Decimal
    new_monthly: Decimal

    @property
    def difference(self) -> Decimal:
        return self.new_monthly - self.old_monthly


@dataclass
class TariffImpact:
    """Who a change of a tariff touches, shown before it is saved."""

    subscriptions: int = 0
    clients: int = 0
    old_monthly_total: Decimal = Decimal("0.00")
    new_monthly_total: Decimal = Decimal("0.00")
    rows: list[ImpactRow] = field(default_factory=list)

    @property
    def difference(self) -> Decimal:
        return self.new_monthly_total - self.old_monthly_total


def tariff_impact(
    *, tariff: Tariff, new_monthly_fee: Decimal | None = None, limit: int = 200
) -> TariffImpact:
    """Counts over every open subscription; rows for the first ``limit`` clients."""

    version = tariff.current_version
    old_fee = version.monthly_fee if version else Decimal("0.00")
    new_fee = old_fee if new_monthly_fee is None else new_monthly_fee
    per_client = (
        Subscription.objects.filter(tariff=tariff)
        .exclude(status=SubscriptionStatus.CLOSED)
        .values("client_id")
        .annotate(n=Count("id"))
        .order_by("client_id")
    )
    counts = {row["client_id"]: row["n"] for row in per_client}
    total = sum(counts.values())
    impact = TariffImpact(
        subscriptions=total,
        clients=len(counts),
        old_monthly_total=old_fee * total,
        new_monthly_total=new_fee * total,
    )
    shown = list(counts)[:limit]
    clients = Client.objects.in_bulk(shown)
    impact.rows = [
        ImpactRow(clients[pk], counts[pk], old_fee * counts[pk], new_fee * counts[pk])
        for pk in shown
    ]
    impact.rows.sort(key=lambda r: r.client.contract_number)
    return impact


def _affected_users(tariff: Tariff) -> dict[int, list[User]]:
    """Active users of every client with an open subscription on ``tariff``, by client."""

    # One condition on the same subscription: on this tariff and not closed (an exclude over
    # the relation would drop a client with any closed subscription, on any tariff).
    open_on_tariff = (
        Subscription.objects.filter(tariff=tariff)
        .exclude(status=SubscriptionStatus.CLOSED)
        .values("client_id")
    )
    users = User.objects.filter(is_active=True, membership__client_id__in=open_on_tariff)
    by_client: dict[int, list[User]] = defaultdict(list)
    for user in users.select_related("membership").distinct():
        by_client[user.membership.client_id].append(user)
    return by_client


def tariff_change_prices(
    *,
    actor: User,
    tariff: Tariff,
    effective_from: dt.date,
    prices: dict[str, Decimal],
    request: HttpRequest | None = None,
) -> TariffVersion:
    """Add a price version no earlier than the notice period; tell every affected client."""
    if effective_from < earliest_price_change_date():
        raise ValidationError(
            {
                "effective_from": _(
                    "Prices can change no earlier than %(date)s (%(days)s days' notice)."
                )
                % {
                    "date": earliest_price_change_date().strftime("%d.%m.%Y"),
                    "days": settings.KABINET_TARIFF_NOTICE_DAYS,
                }
            }
        )
    missing = [name for name in PRICE_FIELDS if name not in prices]
    if missing:
        raise ValidationError(_("Every price is required."))
    with transaction.atomic():
        tariff = Tariff.objects.select_for_update().get(pk=tariff.pk)
        old = tariff.version_on(effective_from)
        if TariffVersion.objects.filter(tariff=tariff, effective_from=effective_from).exists():
            raise ValidationError(
                {"effective_from": _("There is already a price change on this date.")}
            )
        version = TariffVersion(
            tariff=tariff, effective_from=effective_from, created_by=actor, **prices
        )
        version.full_clean()
        version.save()
        tariff_record(tariff, version)
        audit_record(
            actor=actor,
            action="tariff.prices",
            obj=tariff,
            before=old.prices if old else {},
            after={**version.prices, "effective_from": effective_from},
            request=request,
        )
        _notify_price_change(tariff, old, version)
    return version


def _price_lines(old: TariffVersion | None, new: TariffVersion) -> str:
    from django.utils.translation import gettext

    labels = {
        "monthly_fee": gettext("Monthly fee"),
        "setup_fee": gettext("Set-up fee"),
        "per_minute_local": gettext("Local calls, per minute"),
        "per_minute_long_distance": gettext("Long-distance calls, per minute"),
        "per_minute_international": gettext("International calls, per minute"),
    }
    lines = []
    for name in PRICE_FIELDS:
        before = getattr(old, name) if old else None
        after = getattr(new, name)
        if before is None or before != after:
            shown_before = f"{display_money(before)} → " if before is not None else ""
            lines.append(f"{labels[name]}: {shown_before}{display_money(after)}")
    return "\n".join(lines)


class _PriceBody:
    """Lazy body: rendered in each recipient's language by notification_send."""

    def __init__(self, old: TariffVersion | None, new: TariffVersion) -> None:
        self.old, self.new = old, new

    def __str__(self) -> str:
        from django.utils.translation import gettext

        intro = gettext("New prices of tariff “%(tariff)s” from %(date)s:") % {
            "tariff": self.new.tariff.display_name,
            "date": self.new.effective_from.strftime("%d.%m.%Y"),
        }
        return intro + "\n" + _price_lines(self.old, self.new)


def _notify_price_change(tariff: Tariff, old: TariffVersion | None, new: TariffVersion) -> None:
    users = [u for group in _affected_users(tariff).values() for u in group]
    notification_send(
        users=users,
        category=Category.TARIFF,
        title=gettext_lazy("Prices of your tariff “%(tariff)s” change from %(date)s"),
        params={"tariff": tariff.name, "date": new.effective_from.strftime("%d.%m.%Y")},
        body=_PriceBody(old, new),  # type: ignore[arg-type]
        url=reverse("cabinet:services"),
        batch=notification_new_batch(),
    )


def tariff_move_subscriptions(
    *, actor: User, source: Tariff, target: Tariff, request: HttpRequest | None = None
) -> int:
    """Move every open subscription to another tariff of the same service, in one action."""

    if target.service_id != source.service_id:
        raise ValidationError(_("The new tariff must belong to the same service."))
    if target.pk == source.pk or target.deleted_at:
        raise ValidationError(_("Choose another tariff."))
    with transaction.atomic():
        subscriptions = list(
            Subscription.objects.select_for_update()
            .filter(tariff=source)
            .exclude(status=SubscriptionStatus.CLOSED)
            .select_related("client", "service", "tariff")
        )
        users_by_client = _affected_users(source)
        for subscription in subscriptions:
            subscription.tariff = target
        Subscription.objects.bulk_update(subscriptions, ["tariff", "updated_at"])
        for subscription in subscriptions:
            subscription_record(subscription)
        audit_record(
            actor=actor,
            action="tariff.move_subscriptions",
            obj=source,
            before={"tariff": source.code, "subscriptions": len(subscriptions)},
            after={"tariff": target.code, "subscriptions": [s.pk for s in subscriptions]},
            request=request,
        )
        notification_send(
            users=[u for group in users_by_client.values() for u in group],
            category=Category.TARIFF,
            title=gettext_lazy("Your tariff “%(old)s” is replaced by “%(new)s”"),
            params={"old": source.name, "new": target.name},
            url=reverse("cabinet:services"),
            batch=notification_new_batch(),
        )
    return len(subscriptions)


def tariff_delete(*, actor: User, tariff: Tariff, request: HttpRequest | None = None) -> None:
    """Remove a tariff from every list. Refused while subscriptions use it; history stays."""

    with transaction.atomic():
        tariff = Tariff.objects.select_for_update().get(pk=tariff.pk)
        open_count = tariff.subscriptions.exclude(status=SubscriptionStatus.CLOSED).count()
        if open_count:
            raise ValidationError(
                _("%(n)s subscriptions use this tariff. Move them to another tariff first.")
                % {"n": open_count}
            )
        tariff.deleted_at = timezone.now()
        tariff.visibility = Visibility.ARCHIVED
        tariff.save(update_fields=["deleted_at", "visibility"])
        audit_record(actor=actor, action="tariff.delete", obj=tariff, request=request)

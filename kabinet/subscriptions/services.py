"""State changes of subscriptions. Managers act directly; clients' changes that need
approval become requests (kabinet.servicedesk, which calls into this module)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kabinet.accounts.models import Client, ClientStatus, User
from kabinet.accounts.selectors import company_users
from kabinet.audit.services import audit_record
from kabinet.catalog.models import Service, Tariff
from kabinet.catalog.params import clean_values, defaults
from kabinet.notifications.models import Category
from kabinet.notifications.services import notification_send

from .events import subscription_changed
from .models import Subscription, SubscriptionStatus


def subscription_record(subscription: Subscription) -> None:
    """Tell the listeners (billing's outbox) that this subscription is new or changed."""
    subscription_changed.send(sender=Subscription, subscription=subscription)


def _snapshot(subscription: Subscription) -> dict[str, Any]:
    return {
        "tariff": subscription.tariff.code,
        "status": subscription.status,
        "parameters": dict(subscription.parameters),
    }


def _notify(subscription: Subscription, title: Any, params: dict[str, Any]) -> None:
    notification_send(
        users=company_users(subscription.client),
        category=Category.SERVICE,
        title=title,
        params=params,
        url=reverse("cabinet:subscription_detail", args=[subscription.pk]),
    )


def _validated_parameters(service: Service, raw: dict[str, Any]) -> dict[str, Any]:
    specs = list(service.parameters.all())
    merged = {**defaults(specs), **raw}
    values, errors = clean_values(specs, merged)
    if errors:
        raise ValidationError(errors)
    return values


def subscription_connect(
    *,
    actor: User | None,
    client: Client,
    tariff: Tariff,
    parameters: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> Subscription:
    """Connect a service on any tariff (managers may pick archived and exclusive ones)."""
    if client.status == ClientStatus.CLOSED:
        raise ValidationError(_("A closed contract cannot get new services."))
    if tariff.deleted_at:
        raise ValidationError(_("This tariff no longer exists."))
    values = _validated_parameters(tariff.service, parameters or {})
    with transaction.atomic():
        subscription = Subscription.objects.create(
            client=client, service=tariff.service, tariff=tariff, parameters=values
        )
        subscription_record(subscription)
        audit_record(
            actor=actor,
            action="subscription.connect",
            obj=subscription,
            after=_snapshot(subscription),
            request=request,
        )
        _notify(
            subscription,
            gettext_lazy("Service “%(service)s” is connected"),
            {"service": tariff.service.name},
        )
    return subscription


def subscription_change_tariff(
    *,
    actor: User | None,
    subscription: Subscription,
    tariff: Tariff,
    request: HttpRequest | None = None,
) -> Subscription:
    if tariff.service_id != subscription.service_id:
        raise ValidationError(_("The tariff belongs to another service."))
    if tariff.deleted_at:
        raise ValidationError(_("This tariff no longer exists."))
    with transaction.atomic():
        subscription = (
            Subscription.objects.select_for_update()
            .select_related("client", "service", "tariff")
            .get(pk=subscription.pk)
        )
        if not subscription.is_open:
            raise ValidationError(_("The service is disconnected."))
        if subscription.tariff_id == tariff.pk:
            return subscription
        before = _snapshot(subscription)
        old_name = subscription.tariff.name
        subscription.tariff = tariff
        subscription.save(update_fields=["tariff", "updated_at"])
        subscription_record(subscription)
        audit_record(
            actor=actor,
            action="subscription.tariff",
            obj=subscription,
            before=before,
            after=_snapshot(subscription),
            request=request,
        )
        _notify(
            subscription,
            gettext_lazy("Tariff changed: “%(old)s” → “%(new)s”"),
            {"old": old_name, "new": tariff.name},
        )
    return subscription


_STATUS_MOVES = {
    SubscriptionStatus.ACTIVE: {SubscriptionStatus.SUSPENDED, SubscriptionStatus.CLOSED},
    SubscriptionStatus.SUSPENDED: {SubscriptionStatus.ACTIVE, SubscriptionStatus.CLOSED},
    SubscriptionStatus.CLOSED: set(),
}

_STATUS_TITLES = {
    SubscriptionStatus.ACTIVE: gettext_lazy("Service “%(service)s” is active again"),
    SubscriptionStatus.SUSPENDED: gettext_lazy("Service “%(service)s” is suspended"),
    SubscriptionStatus.CLOSED: gettext_lazy("Service “%(service)s” is disconnected"),
}


def subscription_set_status(
    *,
    actor: User | None,
    subscription: Subscription,
    status: str,
    request: HttpRequest | None = None,
    notify: bool = True,
) -> Subscription:
    new = SubscriptionStatus(status)
    with transaction.atomic():
        subscription = (
            Subscription.objects.select_for_update()
            .select_related("client", "service", "tariff")
            .get(pk=subscription.pk)
        )
        old = SubscriptionStatus(subscription.status)
        if old == new:
            return subscription
        if new not in _STATUS_MOVES[old]:
            raise ValidationError(
                _("A service in status “%(old)s” cannot become “%(new)s”.")
                % {"old": old.label, "new": new.label}
            )
        subscription.status = new
        subscription.closed_at = timezone.now() if new == SubscriptionStatus.CLOSED else None
        subscription.save(update_fields=["status", "closed_at", "updated_at"])
        subscription_record(subscription)
        audit_record(
            actor=actor,
            action=f"subscription.{new.value}",
            obj=subscription,
            before={"status": old.value},
            after={"status": new.value},
            request=request,
        )
        if notify:
            _notify(subscription, _STATUS_TITLES[new], {"service": subscription.service.name})
    return subscription


def subscription_set_parameters(
    *,
    actor: User | None,
    subscription: Subscription,
    values: dict[str, Any],
    request: HttpRequest | None = None,
    notify: bool = True,
) -> Subscription:
    """Set any parameters (managers, or an approved request). Values are validated again."""
    with transaction.atomic():
        subscription = (
            Subscription.objects.select_for_update()
            .select_related("client", "service", "tariff")
            .get(pk=subscription.pk)
        )
        if not subscription.is_open:
            raise ValidationError(_("The service is disconnected."))
        specs = list(subscription.service.parameters.all())
        known = {s.code for s in specs}
        unknown = set(values) - known
        if unknown:
            raise ValidationError(
                _("Unknown parameters: %(names)s") % {"names": ", ".join(sorted(unknown))}
            )
        cleaned, errors = clean_values(specs, values, only=set(values))
        if errors:
            raise ValidationError(errors)
        before = _snapshot(subscription)
        subscription.parameters = {**subscription.parameters, **cleaned}
        if subscription.parameters == before["parameters"]:
            return subscription
        subscription.save(update_fields=["parameters", "updated_at"])
        subscription_record(subscription)
        audit_record(
            actor=actor,
            action="subscription.parameters",
            obj=subscription,
            before=before,
            after=_snapshot(subscription),
            request=request,
        )
        if notify:
            _notify(
                subscription,
                gettext_lazy("Settings of “%(service)s” are changed"),
                {"service": subscription.service.name},
            )
    return subscription

"""The scheduled pass over every client: store each forecast, and alert the companies whose
balance crossed their threshold (once per crossing, at most once a day)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kabinet.accounts.models import Client, ClientStatus, Membership, MembershipRole, User
from kabinet.audit.services import audit_record
from kabinet.lib.money import LocalMoney
from kabinet.notifications.models import Category
from kabinet.notifications.services import Notice, notification_send_many

from . import events
from .models import AlertPolicy, ClientForecast, ThresholdKind
from .selectors import Forecast, forecasts_for
from .store import forecasts_save

logger = logging.getLogger(__name__)

BATCH = 1000
QUIET = dt.timedelta(hours=24)


@dataclass
class PassResult:
    clients: int = 0
    alerts: int = 0
    rearmed: int = 0


def is_below(policy: AlertPolicy, forecast: Forecast) -> bool:
    if policy.kind == ThresholdKind.MONEY:
        return forecast.balance < policy.amount
    return forecast.days_left is not None and forecast.days_left <= policy.days


def _recipients(policies: dict[int, AlertPolicy], client_ids: list[int]) -> dict[int, list[User]]:
    """Who hears of each client's alert: the policy's people, else the company's admins."""
    chosen: dict[int, list[User]] = {}
    for policy in policies.values():
        users = [u for u in policy.recipients.all() if u.is_active]
        if users:
            chosen[policy.client_id] = users
    admins: dict[int, list[User]] = {}
    for membership in Membership.objects.filter(
        client_id__in=[c for c in client_ids if c not in chosen],
        role=MembershipRole.ADMIN,
        user__is_active=True,
    ).select_related("user"):
        admins.setdefault(membership.client_id, []).append(membership.user)
    return {**admins, **chosen}


def alert_notice(
    client: Client, forecast: Forecast, users: list[User], policy: AlertPolicy
) -> Notice:
    if forecast.state == "negative":
        title = _("The balance of contract %(contract)s is used up")
        body = _(
            "The balance is %(balance)s. Top it up so that the services keep working: "
            "pay by card or issue an invoice in the cabinet."
        )
    elif policy.kind == ThresholdKind.MONEY:
        title = _("The balance of contract %(contract)s is below %(threshold)s")
        body = _(
            "The balance is %(balance)s, enough for about %(days)s days at the current "
            "spending. Top it up in the cabinet."
        )
    else:
        title = _("The balance of contract %(contract)s lasts about %(days)s more days")
        body = _(
            "The balance is %(balance)s; at %(daily)s a day it runs out around %(date)s. "
            "Top it up in the cabinet."
        )
    return Notice(
        users=users,
        title=title,
        body=body,
        params={
            "contract": client.contract_number,
            "balance": LocalMoney(forecast.balance),
            "threshold": LocalMoney(policy.amount),
            "days": forecast.days_left if forecast.days_left is not None else "—",
            "daily": LocalMoney(forecast.daily_spend),
            "date": forecast.runs_out_on.strftime("%d.%m.%Y") if forecast.runs_out_on else "—",
        },
        url="/cabinet/payments/",
    )


def forecast_pass(*, batch: int = BATCH, now: dt.datetime | None = None) -> PassResult:
    """Every open contract, ``batch`` at a time in id order (memory does not grow with the
    number of clients): store the forecast, fire and re-arm alerts."""
    now = now or timezone.now()
    result = PassResult()
    last = 0
    while True:
        clients = list(
            Client.objects.filter(pk__gt=last)
            .exclude(status=ClientStatus.CLOSED)
            .order_by("pk")
            .only("pk", "contract_number", "status")[:batch]
        )
        if not clients:
            return result
        last = clients[-1].pk
        _one_batch(clients, now, result)


def forecast_store(clients: list[Client], *, now: dt.datetime | None = None) -> dict[int, Forecast]:
    """Compute and store the forecasts of these clients (no alerts): what the pass does for
    each batch, and what screens then reuse for the rest of the day."""
    now = now or timezone.now()
    forecasts = forecasts_for(clients, timezone.localdate(now))
    forecasts_save(forecasts, now)
    return forecasts


def _one_batch(clients: list[Client], now: dt.datetime, result: PassResult) -> None:
    ids = [c.pk for c in clients]
    with transaction.atomic():
        forecasts = forecast_store(clients, now=now)
        policies = {
            p.client_id: p
            for p in AlertPolicy.objects.filter(client_id__in=ids).prefetch_related("recipients")
        }
        due, rearm = [], []
        for client in clients:
            policy = policies.get(client.pk) or AlertPolicy(client=client)
            forecast = forecasts[client.pk]
            if not policy.enabled:
                continue
            below = is_below(policy, forecast)
            if below and policy.armed:
                quiet = policy.last_alert_at and now - policy.last_alert_at < QUIET
                if not quiet:
                    due.append((client, policy, forecast))
            elif not below and not policy.armed:
                policy.armed = True
                rearm.append(policy)
        if rearm:
            AlertPolicy.objects.bulk_update(rearm, ["armed"])
            result.rearmed += len(rearm)
        if due:
            people = _recipients(policies, [c.pk for c, _p, _f in due])
            notices: list[Notice] = []
            new: list[AlertPolicy] = []
            changed: list[AlertPolicy] = []
            for client, policy, forecast in due:
                policy.armed = False
                policy.last_alert_at = now
                (new if policy._state.adding else changed).append(policy)
                users = people.get(client.pk, [])
                if users:
                    notices.append(alert_notice(client, forecast, users, policy))
            AlertPolicy.objects.bulk_create(new)
            AlertPolicy.objects.bulk_update(changed, ["armed", "last_alert_at"])
            notification_send_many(notices, category=Category.PAYMENT)
            for receiver, outcome in events.balance_low.send_robust(
                sender=ClientForecast, alerts=[(client, forecast) for client, _p, forecast in due]
            ):
                if isinstance(outcome, Exception):
                    logger.error("balance_low receiver %r failed: %r", receiver, outcome)
            result.alerts += len(due)
    result.clients += len(clients)


def policy_update(
    *, client: Client, actor: User, data: dict[str, object], recipients: list[User]
) -> AlertPolicy:
    """The company's administrator sets the threshold and who hears of it."""
    with transaction.atomic():
        policy, _created = AlertPolicy.objects.select_for_update().get_or_create(client=client)
        before = {
            "enabled": policy.enabled,
            "kind": policy.kind,
            "days": policy.days,
            "amount": str(policy.amount),
        }
        for field in ("enabled", "kind", "days", "amount"):
            setattr(policy, field, data[field])
        # A new threshold is judged afresh at the next pass.
        policy.armed = True
        policy.save()
        policy.recipients.set(recipients)
        audit_record(
            actor=actor,
            action="alert_policy.update",
            obj=client,
            before=before,
            after={
                "enabled": policy.enabled,
                "kind": policy.kind,
                "days": policy.days,
                "amount": str(policy.amount),
                "recipients": [u.email for u in recipients],
            },
        )
    return policy

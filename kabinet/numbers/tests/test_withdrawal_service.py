"""Withdrawing call labelling ends the company's labelling service, as a manager's
disconnect would (billing gets the subscription's record), unless another labelling of the
company is still in moderation or with billing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from kabinet.audit.models import AuditEntry
from kabinet.exchange.models import OutboxRecord
from kabinet.numbers import services
from kabinet.numbers.models import LabelStatus
from kabinet.subscriptions.models import Subscription, SubscriptionStatus

from .helpers import file, send, status

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _service(company, label_tariff):
    return list(
        Subscription.objects.filter(client=company, service=label_tariff.service)
        .order_by("id")
        .values_list("status", flat=True)
    )


def _records(subscription) -> list[str]:
    return [
        r.data["status"]
        for r in OutboxRecord.objects.filter(type="subscription.upserted").order_by("id")
        if r.data.get("subscription_id") in (subscription.pk, str(subscription.pk))
    ]


def test_withdrawal_ends_the_labelling_service(
    numbers, company, client_user, manager, label_tariff
):
    services.label_approve(version=file(company, client_user), actor=manager)
    subscription = Subscription.objects.get(client=company, service=label_tariff.service)
    assert subscription.status == SubscriptionStatus.ACTIVE

    services.label_withdraw(client=company, actor=client_user)

    subscription.refresh_from_db()
    assert subscription.status == SubscriptionStatus.CLOSED
    assert subscription.closed_at is not None
    # The same path as a manager's disconnect: audited, and billing gets the record.
    entry = AuditEntry.objects.get(action="subscription.closed")
    assert (entry.actor, entry.object_id) == (client_user, str(subscription.pk))
    assert _records(subscription) == ["active", "closed"]


def test_withdrawal_in_moderation_ends_a_service_left_from_an_earlier_labelling(
    numbers, company, client_user, manager, label_tariff, peer
):
    first = services.label_approve(version=file(company, client_user), actor=manager)
    assert send(peer, status(peer, first, "active")).ok
    services.label_withdraw(client=company, actor=client_user)
    assert send(peer, status(peer, first, "withdrawn")).ok
    assert _service(company, label_tariff) == [SubscriptionStatus.CLOSED]
    # A new application, withdrawn while in moderation: nothing was connected for it.
    file(company, client_user)
    services.label_withdraw(client=company, actor=client_user)
    assert _service(company, label_tariff) == [SubscriptionStatus.CLOSED]


def test_the_service_stays_while_another_labelling_is_in_force(
    numbers, company, client_user, manager, label_tariff, peer
):
    first = services.label_approve(version=file(company, client_user), actor=manager)
    assert send(peer, status(peer, first, "active")).ok
    services.label_withdraw(client=company, actor=client_user)
    # Billing has not confirmed the withdrawal: the first labelling is still shown on calls.
    first.refresh_from_db()
    assert first.status == LabelStatus.ACTIVE
    second = services.label_approve(
        version=file(company, client_user, display_text="БалтЛог"), actor=manager
    )
    assert second.label_id != first.label_id
    assert _service(company, label_tariff) == [
        SubscriptionStatus.CLOSED,
        SubscriptionStatus.ACTIVE,
    ]

    services.label_withdraw(client=company, actor=client_user)

    # The first one is still in force: the service is kept.
    assert _service(company, label_tariff) == [
        SubscriptionStatus.CLOSED,
        SubscriptionStatus.ACTIVE,
    ]
    # Billing confirms the first one's withdrawal; the second one's is still on its way.
    assert send(peer, status(peer, first, "withdrawn", as_of="2026-12-05T10:00:00Z")).ok
    assert _service(company, label_tariff)[-1] == SubscriptionStatus.ACTIVE
    # Billing confirms the second one's too: nothing is left, the service ends.
    assert send(peer, status(peer, second, "withdrawn", as_of="2026-12-05T11:00:00Z")).ok
    assert _service(company, label_tariff) == [
        SubscriptionStatus.CLOSED,
        SubscriptionStatus.CLOSED,
    ]


def test_the_service_stays_while_an_earlier_application_waits_for_billing(
    numbers, company, client_user, manager, label_tariff
):
    first = services.label_approve(version=file(company, client_user), actor=manager)
    services.label_withdraw(client=company, actor=client_user)
    first.refresh_from_db()
    assert first.status == LabelStatus.SUBMITTED  # billing has not answered yet
    services.label_approve(version=file(company, client_user), actor=manager)
    services.label_withdraw(client=company, actor=client_user)
    assert _service(company, label_tariff)[-1] == SubscriptionStatus.ACTIVE


def test_a_refused_withdrawal_changes_nothing(
    numbers, company, client_user, colleague, manager, label_tariff
):
    services.label_approve(version=file(company, client_user), actor=manager)
    with pytest.raises(ValidationError, match="administrators"):
        services.label_withdraw(client=company, actor=colleague)
    assert _service(company, label_tariff) == [SubscriptionStatus.ACTIVE]

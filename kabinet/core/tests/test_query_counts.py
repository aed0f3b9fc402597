"""Every list and dashboard runs a fixed number of queries, whatever the data size.

The pages are walked from the URLconf (every cabinet page that takes no argument), so a new
list cannot forget this. Each is counted on a small generated dataset, then the data behind
it is multiplied — more clients for the manager's lists, and the other clients' payments,
requests, threads, subscriptions, billing data, notifications and users moved onto the
signed-in client — and counted again: the two counts must be equal.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver

from kabinet.accounts.models import Client, Membership, User
from kabinet.conftest import logged_in
from kabinet.demo.dataset import BENCH_CLIENT_EMAIL, BENCH_MANAGER_EMAIL, dataset_generate


def _plain_paths(patterns, prefix: str = ""):
    """Paths of the URL patterns that take no argument."""
    for entry in patterns:
        route = str(entry.pattern)
        if "<" in route or any(ch in route for ch in "^$()[]?*+\\"):
            continue
        if isinstance(entry, URLResolver):
            yield from _plain_paths(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern):
            yield "/" + (prefix + route).lstrip("/")


PLAIN = sorted(set(_plain_paths(get_resolver().url_patterns)))
CLIENT_PAGES = [p for p in PLAIN if p.startswith("/cabinet/")]
MANAGER_PAGES = [p for p in PLAIN if p.startswith("/manager/")]
# Pages whose list the bench also reads with filters.
FILTERED = [
    "/manager/clients/?q=%D0%BE%D0%BE%D0%BE",
    "/manager/clients/?status=active&manager=me",
    "/manager/requests/?status=",
    "/manager/payments/?status=captured&channel=card",
    "/manager/payments/export.csv?channel=terminal",
]


def test_the_walk_finds_the_lists():
    assert {"/cabinet/", "/cabinet/payments/", "/cabinet/services/"} <= set(CLIENT_PAGES)
    assert {"/manager/", "/manager/clients/", "/manager/payments/"} <= set(MANAGER_PAGES)


def _counts(http, paths: list[str]) -> dict[str, int]:
    counts = {}
    for path in paths:
        with CaptureQueriesContext(connection) as queries:
            response = http.get(path)
        if response.status_code != 200:
            continue  # POST-only actions and redirects are not lists
        if hasattr(response, "streaming_content"):
            with CaptureQueriesContext(connection) as streamed:
                b"".join(response.streaming_content)
            counts[path] = len(queries) + len(streamed)
        else:
            counts[path] = len(queries)
    return counts


def _grow_client(client: Client, user: User) -> None:
    """Give ``client`` every other generated client's data (and their users)."""
    from kabinet.exchange.models import BalanceSnapshot, BillingDocument, Charge
    from kabinet.messaging.models import Thread
    from kabinet.notifications.models import Notification
    from kabinet.payments.models import LedgerEntry, Payment
    from kabinet.servicedesk.models import ServiceRequest
    from kabinet.subscriptions.models import Subscription

    others = Client.objects.exclude(pk=client.pk).filter(contract_number__gte="200000")
    for model in (
        Payment,
        LedgerEntry,
        ServiceRequest,
        Thread,
        Subscription,
        Charge,
        BillingDocument,
        BalanceSnapshot,
    ):
        model.objects.filter(client__in=others).update(client=client)
    members = Membership.objects.filter(client__in=others)
    Notification.objects.filter(user__membership__in=members).update(user=user)
    members.update(client=client)


def _ensure_closed_subscription(client: Client) -> None:
    from kabinet.subscriptions.models import Subscription, SubscriptionStatus

    if not Subscription.objects.filter(client=client, status=SubscriptionStatus.CLOSED).exists():
        sub = Subscription.objects.filter(client=client).order_by("id").first()
        assert sub is not None
        Subscription.objects.filter(pk=sub.pk).update(status=SubscriptionStatus.CLOSED)


def _level(clients: int, seed: int) -> Client:
    """Add ``clients`` generated clients; move their data onto the bench client."""
    from kabinet.audit.services import audit_record

    dataset_generate(
        clients=clients, payments_per_client=clients, seed=seed, batch_size=50, append=True
    )
    user = User.objects.get(email=BENCH_CLIENT_EMAIL)
    company = user.membership.client
    _grow_client(company, user)
    _ensure_closed_subscription(company)
    _ensure_open_request(company)
    manager = User.objects.get(email=BENCH_MANAGER_EMAIL)
    for other in Client.objects.order_by("-id")[:clients]:
        audit_record(actor=manager, action="client.update", obj=other, before={}, after={})
    return company


def _ensure_open_request(client: Client) -> None:
    from kabinet.servicedesk.models import RequestStatus, ServiceRequest

    if not ServiceRequest.objects.filter(status=RequestStatus.NEW).exists():
        first = ServiceRequest.objects.filter(client=client).order_by("id").first()
        assert first is not None
        ServiceRequest.objects.filter(pk=first.pk).update(status=RequestStatus.NEW)


@pytest.mark.django_db
def test_every_list_runs_the_same_queries_whatever_the_data_size():
    # Three sizes; the first only warms what fills once per process. Every list has rows
    # from the second on (an empty list skips its prefetches: fewer queries, nothing shown).
    company = _level(2, seed=7)
    client_user = User.objects.get(email=BENCH_CLIENT_EMAIL)
    manager = User.objects.get(email=BENCH_MANAGER_EMAIL)
    as_client, as_manager = logged_in(client_user), logged_in(manager)
    _counts(as_client, CLIENT_PAGES)
    _counts(as_manager, MANAGER_PAGES + FILTERED)

    _level(3, seed=8)
    medium_client = _counts(as_client, CLIENT_PAGES)
    medium_manager = _counts(as_manager, MANAGER_PAGES + FILTERED)
    payments_medium = company.payments.count()

    _level(24, seed=9)
    assert company.payments.count() > payments_medium * 3
    large_client = _counts(as_client, CLIENT_PAGES)
    large_manager = _counts(as_manager, MANAGER_PAGES + FILTERED)

    assert len(medium_client) >= 6 and len(medium_manager) >= 10
    assert large_client == medium_client
    assert large_manager == medium_manager

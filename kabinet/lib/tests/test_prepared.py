"""Prepared queries give what their queryset gives, for any arguments, compiled once."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Count, F, OuterRef, Subquery

from kabinet.accounts.models import Client, User
from kabinet.lib.prepared import PreparedQueryError, prepared
from kabinet.notifications.models import Notification

pytestmark = pytest.mark.django_db

builds: list[dict] = []


def _users(user_id):
    builds.append({"user_id": user_id})
    return (
        User.objects.select_related("membership__client__manager")
        .annotate(
            unread=Subquery(
                Notification.objects.filter(user_id=OuterRef("pk"), read_at__isnull=True)
                .order_by()
                .values("user_id")
                .annotate(n=Count("id"))
                .values("n")
            )
        )
        .filter(pk=user_id)
    )


users = prepared(_users)


@prepared
def clients_named(name, manager_id):
    return (
        Client.objects.filter(name=name, manager_id=manager_id)
        .order_by("id")
        .values("id", "name", "contract_number", manager_email=F("manager__email"))
    )


@pytest.fixture(autouse=True)
def _fresh():
    # Compiled once per process: each test starts from a query not yet compiled.
    users._compiled = None
    clients_named._compiled = None
    builds.clear()


def test_models_are_the_querysets_own_with_related_objects_and_annotations(
    client_user, colleague, other_client_user
):
    Notification.objects.create(user=client_user, title="a", body="")
    Notification.objects.create(user=client_user, title="b", body="")
    for user in (client_user, colleague, other_client_user):
        [got] = users.models(user_id=user.pk)
        [expected] = _users(user.pk)
        assert got == expected
        assert got.email == expected.email
        assert got.membership.client.name == expected.membership.client.name
        assert got.membership.client.manager.email == expected.membership.client.manager.email
        assert got.unread == expected.unread
    assert users.models(user_id=client_user.pk)[0].unread == 2
    assert users.models(user_id=colleague.pk)[0].unread is None


def test_compiled_once_and_run_with_each_calls_arguments(client_user, colleague):
    users.models(user_id=client_user.pk)
    users.models(user_id=colleague.pk)
    assert users.models(user_id=-1) == []
    assert len(builds) == 1  # the queryset was built for the first call only


def test_values_with_strings_and_ints(company, other_company, manager):
    [row] = clients_named.values(name=company.name, manager_id=manager.pk)
    assert row == {
        "id": company.pk,
        "name": company.name,
        "contract_number": company.contract_number,
        "manager_email": manager.email,
    }
    assert clients_named.values(name=other_company.name, manager_id=manager.pk)[0]["id"] == (
        other_company.pk
    )
    assert clients_named.values(name="no such", manager_id=manager.pk) == []
    # A string that looks like SQL is a parameter like any other.
    assert clients_named.values(name="' OR 1=1 --", manager_id=manager.pk) == []


def test_queries_go_through_the_connections_cursor(client_user, django_assert_num_queries):
    users.models(user_id=client_user.pk)
    with django_assert_num_queries(1):
        users.models(user_id=client_user.pk)


def test_decimal_and_datetime_columns_come_back_as_python_values(make_client):
    from kabinet.forecast.models import ClientForecast

    client = make_client()
    ClientForecast.objects.create(client=client, balance=Decimal("12.30"), daily_spend=1)

    @prepared
    def forecast(client_id):
        return ClientForecast.objects.filter(client_id=client_id).values("balance", "computed_at")

    [row] = forecast.values(client_id=client.pk)
    assert row["balance"] == Decimal("12.30")
    assert row["computed_at"] == ClientForecast.objects.get(client=client).computed_at


def test_wrong_arguments_are_refused(client_user):
    with pytest.raises(PreparedQueryError):
        users.models(user_id=str(client_user.pk).encode())
    with pytest.raises(PreparedQueryError):
        users.models(user_id=1.5)

    @prepared
    def by_email_start(start):
        return User.objects.filter(email__startswith=start)

    # The SQL carries "start%", not the argument: refused rather than compiled wrongly.
    with pytest.raises(PreparedQueryError, match="not a plain parameter"):
        by_email_start.models(start="client")


def test_distinct_with_ordering_columns_gives_the_querysets_rows(company, other_company):
    # DISTINCT ordered by a related column adds that column to the SELECT; it is not a
    # value of the row.
    @prepared
    def names(manager_id):
        return (
            Client.objects.filter(manager_id=manager_id)
            .order_by("manager__email", "name")
            .distinct()
            .values("name")
        )

    manager_id = company.manager_id
    assert names.values(manager_id=manager_id) == list(
        Client.objects.filter(manager_id=manager_id)
        .order_by("manager__email", "name")
        .distinct()
        .values("name")
    )

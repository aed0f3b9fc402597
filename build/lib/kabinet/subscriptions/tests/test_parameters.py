from __future__ import annotations

import pytest

from kabinet.audit.models import AuditEntry
from kabinet.exchange.models import OutboxRecord
from kabinet.servicedesk.models import RequestKind, ServiceRequest
from kabinet.subscriptions.models import Subscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscription(company, public_tariff, subscribe) -> Subscription:
    return subscribe(company, public_tariff)


def post_params(http, subscription, **values):
    data = {"caller_id": "on", "delay": "15", "prefix": "1", "lines": "2"}
    data.update(values)
    data = {k: v for k, v in data.items() if v is not None}
    return http.post(f"/cabinet/services/{subscription.pk}/", data)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("lines", "abc", "Enter a whole number."),
        ("lines", "0", "The smallest allowed value is 1."),
        ("lines", "31", "The largest allowed value is 30."),
        ("lines", "2.5", "Enter a whole number."),
        ("delay", "7", "Select a valid choice."),
        ("prefix", "0", "The value does not have the required format."),
        ("prefix", "123", "The value does not have the required format."),
        ("prefix", "x" * 300, "Ensure this value has at most 200 characters"),
    ],
)
def test_bad_values_from_the_client_are_refused_and_nothing_changes(
    as_client, subscription, field, value, message
):
    before = dict(subscription.parameters)
    response = post_params(as_client, subscription, **{field: value})
    assert response.status_code == 200
    assert message in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.parameters == before
    assert not ServiceRequest.objects.exists()
    assert not AuditEntry.objects.exists()


def test_forged_post_cannot_set_a_manager_only_parameter(as_client, subscription):
    response = post_params(as_client, subscription, number="+79990000000", caller_id=None)
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.parameters["number"] is None
    assert subscription.parameters["caller_id"] is False  # the real change went through


def test_change_without_approval_applies_at_once(as_client, subscription, client_user):
    response = post_params(as_client, subscription, caller_id=None, delay="0")
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.parameters["caller_id"] is False
    assert subscription.parameters["delay"] == "0"
    entry = AuditEntry.objects.get(action="subscription.parameters")
    assert entry.actor == client_user
    assert OutboxRecord.objects.filter(type="subscription.upserted").count() == 1
    assert not ServiceRequest.objects.exists()


def test_change_needing_approval_becomes_a_request(as_client, subscription, manager):
    response = post_params(as_client, subscription, lines="5", delay="0")
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.parameters["lines"] == 2  # waits for approval
    assert subscription.parameters["delay"] == "0"  # applied now
    request = ServiceRequest.objects.get()
    assert request.kind == RequestKind.CHANGE_PARAMETERS
    assert request.parameters == {"lines": 5}
    assert request.status == "new"
    # The manager sees it waiting.
    from kabinet.conftest import logged_in

    queue = logged_in(manager).get("/manager/requests/").content.decode()
    assert f"/manager/requests/{request.pk}/" in queue


def test_approving_a_parameter_request_applies_it(as_client, as_manager, subscription):
    post_params(as_client, subscription, lines="5")
    request = ServiceRequest.objects.get()
    response = as_manager.post(f"/manager/requests/{request.pk}/approve/", {"comment": "Готово"})
    assert response.status_code == 302
    subscription.refresh_from_db()
    request.refresh_from_db()
    assert subscription.parameters["lines"] == 5
    assert request.status == "done"
    assert [e.status for e in request.events.all()] == ["new", "approved", "done"]


def test_manager_sets_any_parameter_with_validation(as_manager, subscription):
    data = {
        "lines": "12",
        "caller_id": "on",
        "number": "8 (812) 555-12-34",
        "delay": "0",
        "prefix": "7",
    }
    response = as_manager.post(f"/manager/subscriptions/{subscription.pk}/", data)
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert subscription.parameters == {
        "lines": 12,
        "caller_id": True,
        "number": "+78125551234",
        "delay": "0",
        "prefix": "7",
    }
    response = as_manager.post(
        f"/manager/subscriptions/{subscription.pk}/", {**data, "number": "12345"}
    )
    assert response.status_code == 200
    assert "international format" in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.parameters["number"] == "+78125551234"


def test_client_cannot_see_or_change_another_companys_service(
    as_client, other_company, public_tariff, subscribe
):
    theirs = subscribe(other_company, public_tariff)
    assert as_client.get(f"/cabinet/services/{theirs.pk}/").status_code == 404
    assert post_params(as_client, theirs, delay="0").status_code == 404
    assert (
        as_client.post(
            f"/cabinet/services/{theirs.pk}/tariff/", {"tariff": public_tariff.pk}
        ).status_code
        == 404
    )
    assert as_client.post(f"/cabinet/services/{theirs.pk}/disconnect/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.parameters["delay"] == "15"
    assert not ServiceRequest.objects.exists()


def test_client_services_page_runs_fixed_queries(
    as_client, company, public_tariff, subscribe, django_assert_max_num_queries
):
    subscribe(company, public_tariff)
    with django_assert_max_num_queries(30) as small:
        as_client.get("/cabinet/services/")
    small_count = len(small.captured_queries)
    for _ in range(15):
        subscribe(company, public_tariff)
    with django_assert_max_num_queries(small_count):
        as_client.get("/cabinet/services/")

from __future__ import annotations

import pytest

from kabinet.audit.models import AuditEntry
from kabinet.notifications.models import Notification
from kabinet.servicedesk.models import RequestKind, ServiceRequest
from kabinet.subscriptions.models import Subscription
from kabinet.subscriptions.services import subscription_change_tariff

pytestmark = pytest.mark.django_db


def snapshot(subscription: Subscription) -> tuple:
    subscription.refresh_from_db()
    return (subscription.tariff_id, subscription.status, subscription.parameters)


def test_approved_tariff_change_equals_a_direct_change(
    as_client, as_manager, manager, company, other_company, public_tariff, make_tariff, subscribe
):
    target = make_tariff("cheaper", monthly="390.00")
    mine = subscribe(company, public_tariff)
    twin = subscribe(other_company, public_tariff)
    as_client.post(f"/cabinet/services/{mine.pk}/tariff/", {"tariff": target.pk})
    request = ServiceRequest.objects.get()
    assert request.kind == RequestKind.CHANGE_TARIFF
    assert snapshot(mine)[0] == public_tariff.pk
    as_manager.post(f"/manager/requests/{request.pk}/approve/", {"comment": ""})
    subscription_change_tariff(actor=manager, subscription=twin, tariff=target)
    assert snapshot(mine) == snapshot(twin)
    actions = list(
        AuditEntry.objects.filter(action="subscription.tariff").values_list("before", "after")
    )
    assert actions[0] == actions[1]


def test_connect_request_flow(as_client, as_manager, company, public_tariff, client_user):
    response = as_client.post(
        f"/cabinet/services/connect/{public_tariff.pk}/",
        {"lines": "3", "caller_id": "on", "delay": "0", "prefix": "4"},
    )
    request = ServiceRequest.objects.get()
    assert response["Location"] == f"/cabinet/requests/{request.pk}/"
    assert request.parameters == {
        "lines": 3,
        "caller_id": True,
        "number": None,
        "delay": "0",
        "prefix": "4",
    }
    as_manager.post(f"/manager/requests/{request.pk}/approve/")
    subscription = Subscription.objects.get(client=company)
    assert subscription.parameters["lines"] == 3
    request.refresh_from_db()
    assert request.subscription == subscription
    notice = Notification.objects.get(user=client_user, category="request")
    assert str(request.pk) in notice.title


def test_reject_needs_a_reason_and_client_sees_it(
    as_client, as_manager, company, public_tariff, subscribe
):
    subscription = subscribe(company, public_tariff)
    as_client.post(f"/cabinet/services/{subscription.pk}/disconnect/", {"text": "Переезжаем"})
    request = ServiceRequest.objects.get()
    as_manager.post(f"/manager/requests/{request.pk}/reject/", {"comment": ""})
    request.refresh_from_db()
    assert request.status == "new"
    as_manager.post(f"/manager/requests/{request.pk}/reject/", {"comment": "Сначала погасите долг"})
    request.refresh_from_db()
    assert request.status == "rejected"
    page = as_client.get(f"/cabinet/requests/{request.pk}/").content.decode()
    assert "Сначала погасите долг" in page
    assert snapshot(subscription)[1] == "active"


def test_client_withdraws_an_open_request_only(
    as_client, as_manager, company, public_tariff, subscribe
):
    subscription = subscribe(company, public_tariff)
    as_client.post(f"/cabinet/services/{subscription.pk}/disconnect/")
    request = ServiceRequest.objects.get()
    as_client.post(f"/cabinet/requests/{request.pk}/withdraw/")
    request.refresh_from_db()
    assert request.status == "withdrawn"
    as_manager.post(f"/manager/requests/{request.pk}/approve/")
    request.refresh_from_db()
    assert request.status == "withdrawn"
    assert snapshot(subscription)[1] == "active"


def test_duplicate_open_request_is_refused(as_client, company, public_tariff, subscribe):
    subscription = subscribe(company, public_tariff)
    as_client.post(f"/cabinet/services/{subscription.pk}/disconnect/")
    as_client.post(f"/cabinet/services/{subscription.pk}/disconnect/")
    assert ServiceRequest.objects.count() == 1


def test_client_cannot_see_or_withdraw_another_companys_request(
    as_client, as_other_client, other_company, public_tariff, subscribe
):
    theirs = subscribe(other_company, public_tariff)
    as_other_client.post(f"/cabinet/services/{theirs.pk}/disconnect/")
    request = ServiceRequest.objects.get()
    assert as_client.get(f"/cabinet/requests/{request.pk}/").status_code == 404
    assert as_client.post(f"/cabinet/requests/{request.pk}/withdraw/").status_code == 404
    request.refresh_from_db()
    assert request.status == "new"
    assert f"#{request.pk}" not in as_client.get("/cabinet/requests/").content.decode()


def test_other_request_with_text(as_client, company):
    response = as_client.post(
        "/cabinet/requests/new/", {"subject": "Счёт", "text": "Пришлите акт сверки"}
    )
    request = ServiceRequest.objects.get()
    assert response["Location"] == f"/cabinet/requests/{request.pk}/"
    assert (request.kind, request.subject) == ("other", "Счёт")


def test_closed_client_cannot_file_requests(make_client, make_client_user, public_tariff):
    from kabinet.conftest import logged_in

    closed = make_client(status="closed")
    user = make_client_user(closed, "closed@example.com")
    response = logged_in(user).post("/cabinet/requests/new/", {"subject": "x", "text": "y"})
    assert response.status_code == 200
    assert not ServiceRequest.objects.exists()


def test_queue_runs_fixed_queries(
    as_client, as_manager, company, public_tariff, subscribe, django_assert_max_num_queries
):
    def file(n):
        for _ in range(n):
            s = subscribe(company, public_tariff)
            as_client.post(f"/cabinet/services/{s.pk}/disconnect/")

    file(2)
    with django_assert_max_num_queries(25) as small:
        as_manager.get("/manager/requests/")
    small_count = len(small.captured_queries)
    file(15)
    with django_assert_max_num_queries(small_count):
        as_manager.get("/manager/requests/")

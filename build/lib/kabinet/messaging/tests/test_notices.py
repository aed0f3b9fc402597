"""A manager's notice to a segment of clients, through the notification service."""

from __future__ import annotations

import pytest

from kabinet.audit.models import AuditEntry
from kabinet.messaging.models import Notice
from kabinet.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def clients(make_client, make_client_user, make_tariff, subscribe, service):
    """Four companies: on tariff A, on tariff B, suspended on A, closed on A; one disconnected."""
    a, b = make_tariff("tariff-a"), make_tariff("tariff-b")
    made = {}
    for key, status, tariff in [
        ("on_a", "active", a),
        ("on_b", "active", b),
        ("suspended", "suspended", a),
        ("closed", "closed", a),
        ("gone", "active", None),
    ]:
        client = make_client(status=status)
        make_client_user(client, f"{key}@example.com")
        if tariff is not None:
            subscribe(client, tariff)
        made[key] = client
    make_client_user(made["on_a"], "second@example.com")
    gone = subscribe(made["gone"], a)
    gone.status = "closed"
    gone.save()
    return {"a": a, "b": b, **made}


def notice(segment: str, **extra) -> dict:
    return {
        "segment": segment,
        "service": "",
        "tariff": "",
        "client_status": "",
        "title": "Maintenance on Sunday",
        "body": "Short breaks from 2 to 4 a.m.",
        "step": "send",
        **extra,
    }


def recipients(batch: str) -> set[str]:
    return set(Notification.objects.filter(batch=batch).values_list("user__email", flat=True))


@pytest.mark.parametrize(
    ("segment", "extra", "expected"),
    [
        (
            "all",
            {},
            {
                "on_a@example.com",
                "second@example.com",
                "on_b@example.com",
                "suspended@example.com",
                "gone@example.com",
            },
        ),
        (
            "service",
            {"service": "service"},
            {"on_a@example.com", "second@example.com", "on_b@example.com", "suspended@example.com"},
        ),
        (
            "tariff",
            {"tariff": "a"},
            {"on_a@example.com", "second@example.com", "suspended@example.com"},
        ),
        ("tariff", {"tariff": "b"}, {"on_b@example.com"}),
        ("status", {"client_status": "suspended"}, {"suspended@example.com"}),
        ("status", {"client_status": "closed"}, {"closed@example.com"}),
    ],
)
def test_notice_reaches_its_segment(as_manager, clients, service, segment, extra, expected):
    ids = {"service": service.pk, "a": clients["a"].pk, "b": clients["b"].pk}
    data = {key: ids.get(value, value) for key, value in extra.items()}
    response = as_manager.post("/manager/notices/new/", notice(segment, **data))
    sent = Notice.objects.get()
    assert response["Location"] == f"/manager/notices/{sent.pk}/"
    assert recipients(sent.batch) == expected
    assert sent.recipients_count == len(expected)
    assert set(Notification.objects.values_list("category", "title", "body")) == {
        ("news", "Maintenance on Sunday", "Short breaks from 2 to 4 a.m.")
    }


def test_manager_sees_how_many_received_and_read_it(as_manager, manager, clients):
    as_manager.post("/manager/notices/new/", notice("tariff", tariff=clients["a"].pk))
    sent = Notice.objects.get()
    Notification.objects.filter(batch=sent.batch, user__email="on_a@example.com").update(
        read_at="2026-01-01T10:00:00Z"
    )
    page = as_manager.get(f"/manager/notices/{sent.pk}/")
    assert page.context["counts"]["received"] == 3
    assert page.context["counts"]["read"] == 1
    html = page.content.decode()
    assert '<div class="stat-value" data-testid="received">3</div>' in html
    assert '<div class="stat-value" data-testid="read">1</div>' in html
    listing = as_manager.get("/manager/notices/").content.decode()
    assert "Maintenance on Sunday" in listing
    entry = AuditEntry.objects.get(action="notice.send")
    assert (entry.actor, entry.after["recipients"], entry.after["clients"]) == (manager, 3, 2)


def test_counting_recipients_sends_nothing(as_manager, clients):
    response = as_manager.post(
        "/manager/notices/new/", notice("tariff", tariff=clients["a"].pk, step="preview")
    )
    assert response.status_code == 200
    assert response.context["reach"] == {"clients": 2, "users": 3}
    assert "This notice will reach 3 users of 2 clients." in response.content.decode()
    assert not Notice.objects.exists()
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    ("segment", "field"),
    [("service", "service"), ("tariff", "tariff"), ("status", "client_status")],
)
def test_segment_without_its_choice_is_refused(as_manager, clients, segment, field):
    response = as_manager.post("/manager/notices/new/", notice(segment))
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not Notice.objects.exists()
    assert not Notification.objects.exists()
    assert not AuditEntry.objects.exists()


def test_notices_are_for_managers_only(as_client, clients):
    assert as_client.post("/manager/notices/new/", notice("all")).status_code == 403
    assert not Notification.objects.exists()


def test_notice_list_runs_fixed_queries(as_manager, clients, django_assert_max_num_queries):
    as_manager.post("/manager/notices/new/", notice("all"))
    with django_assert_max_num_queries(30) as small:
        as_manager.get("/manager/notices/")
    count = len(small.captured_queries)
    for _ in range(5):
        as_manager.post("/manager/notices/new/", notice("all"))
    with django_assert_max_num_queries(count):
        as_manager.get("/manager/notices/")

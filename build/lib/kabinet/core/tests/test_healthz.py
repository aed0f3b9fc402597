"""/healthz: every check named, 503 when one fails, never a 500 (not even without a database)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from kabinet.core.models import WorkerHeartbeat
from kabinet.core.scheduler import scheduler_tick

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def beat(name: str, seconds_ago: int = 0) -> None:
    WorkerHeartbeat.objects.update_or_create(
        name=name, defaults={"beat_at": timezone.now() - timedelta(seconds=seconds_ago)}
    )


TOKEN = "monitoring-token-1234"


@pytest.fixture
def client(settings):
    """Monitoring: sees every check by the health token."""
    from django.test import Client

    settings.KABINET_HEALTHZ_TOKEN = TOKEN
    return Client(headers={"Authorization": f"Bearer {TOKEN}"})


@pytest.fixture
def alive(db):
    beat("scheduler", 10)
    beat("worker", 20)


@pytest.mark.django_db
def test_healthy_site_answers_200_with_every_check(client, alive, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        response = client.get("/healthz")
    assert response.status_code == 200
    data = response.json()
    assert (data["status"], data["failing"]) == ("ok", [])
    assert list(data["checks"]) == [
        "database",
        "scheduler",
        "worker",
        "task_backlog",
        "outbox_pending",
        "package_unacknowledged",
    ]
    assert data["checks"]["scheduler"]["ok"] is True
    assert 10 <= data["checks"]["scheduler"]["age_seconds"] <= 12
    assert data["checks"]["worker"]["limit_seconds"] == 300
    assert data["checks"]["outbox_pending"] == {
        "ok": True,
        "age_seconds": None,
        "limit_seconds": 86400,
    }
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "seconds_ago"), [("scheduler", 301), ("worker", 301)], ids=["scheduler", "worker"]
)
def test_stale_heartbeat_is_503_naming_it(client, alive, name, seconds_ago):
    beat(name, seconds_ago)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == [name]
    assert response.json()["status"] == "fail"


@pytest.mark.django_db
def test_worker_never_seen_is_503(client):
    beat("scheduler")
    response = client.get("/healthz")
    assert (response.status_code, response.json()["failing"]) == (503, ["worker"])
    assert response.json()["checks"]["worker"]["age_seconds"] is None


@pytest.mark.django_db
def test_the_db_worker_leaves_the_heartbeat_by_running_the_scheduled_task(
    client, settings, monkeypatch
):
    """The heartbeat is a task: only a worker that really runs queued tasks refreshes it."""
    settings.TASKS = DB_TASKS
    # The worker closes its connection between tasks; the test's transaction must stay open.
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )
    from django_tasks_db.models import DBTaskResult

    scheduler_tick()
    assert DBTaskResult.objects.filter(task_path="kabinet.core.tasks.worker_heartbeat").count() == 1
    assert not WorkerHeartbeat.objects.filter(name="worker").exists()
    # Queued, not run yet: the backlog check sees it; healthy while young.
    before = client.get("/healthz").json()
    assert before["checks"]["task_backlog"]["ok"] is True
    assert before["checks"]["task_backlog"]["age_seconds"] is not None
    assert "worker" in before["failing"]

    call_command("db_worker", batch=True, no_startup_delay=True, verbosity=0)

    after = client.get("/healthz")
    assert after.status_code == 200, after.json()
    assert after.json()["checks"]["worker"]["age_seconds"] <= 2
    assert after.json()["checks"]["task_backlog"]["age_seconds"] is None


@pytest.mark.django_db
def test_old_task_backlog_is_503(client, alive, settings):
    settings.TASKS = DB_TASKS
    from kabinet.core.tasks import prune_ratelimit_buckets

    result = prune_ratelimit_buckets.enqueue()
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(pk=result.id).update(
        enqueued_at=timezone.now() - timedelta(seconds=601)
    )
    response = client.get("/healthz")
    assert (response.status_code, response.json()["failing"]) == (503, ["task_backlog"])


@pytest.mark.django_db
def test_change_waiting_too_long_for_export_is_503(client, alive, settings):
    from kabinet.exchange.models import OutboxRecord

    settings.KABINET_HEALTH_OUTBOX_HOURS = 2
    OutboxRecord.objects.create(type="client.upserted", data={}, at=timezone.now())
    assert client.get("/healthz").status_code == 200
    OutboxRecord.objects.create(
        type="client.upserted", data={}, at=timezone.now() - timedelta(hours=3)
    )
    OutboxRecord.objects.all().update(at=timezone.now() - timedelta(hours=3))
    response = client.get("/healthz")
    assert (response.status_code, response.json()["failing"]) == (503, ["outbox_pending"])
    assert response.json()["checks"]["outbox_pending"]["limit_seconds"] == 7200
    # Exported records no longer count.
    OutboxRecord.objects.update(package_sequence=1)
    assert client.get("/healthz").json()["checks"]["outbox_pending"]["age_seconds"] is None


@pytest.mark.django_db
def test_package_billing_has_not_acknowledged_is_503_after_the_limit(client, alive):
    from kabinet.exchange.models import Direction, ExchangePackage, PackageStatus

    package = ExchangePackage.objects.create(
        direction=Direction.SITE_TO_BILLING,
        sequence=1,
        status=PackageStatus.EXPORTED,
        created_at=timezone.now() - timedelta(hours=49),
    )
    response = client.get("/healthz")
    assert (response.status_code, response.json()["failing"]) == (503, ["package_unacknowledged"])
    package.status = PackageStatus.CONFIRMED
    package.save(update_fields=["status"])
    assert client.get("/healthz").status_code == 200


def test_database_down_is_503_not_500(client, django_db_blocker):
    """A real broken connection: the settings point at a database that cannot be opened."""
    original = dict(connection.settings_dict)
    with django_db_blocker.unblock():
        connection.close()
        if connection.vendor == "sqlite":
            connection.settings_dict["NAME"] = "/nonexistent/dir/kabinet.sqlite3"
        else:
            connection.settings_dict["HOST"] = "127.0.0.1"
            connection.settings_dict["PORT"] = "1"
        try:
            response = client.get("/healthz")
        finally:
            connection.close()
            connection.settings_dict.clear()
            connection.settings_dict.update(original)
    assert response.status_code == 503
    data = response.json()
    assert data["failing"] == ["database"]
    assert data["checks"] == {"database": {"ok": False, "error": "OperationalError"}}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}]
)
def test_a_stranger_learns_only_ok_or_fail(settings, alive, headers):
    from django.test import Client

    settings.KABINET_HEALTHZ_TOKEN = TOKEN
    response = Client(headers=headers).get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    WorkerHeartbeat.objects.filter(name="worker").delete()
    response = Client(headers=headers).get("/healthz")
    assert (response.status_code, response.json()) == (503, {"status": "fail"})


@pytest.mark.django_db
def test_without_a_token_configured_no_bearer_opens_the_detail(settings, alive):
    from django.test import Client

    settings.KABINET_HEALTHZ_TOKEN = ""
    response = Client(headers={"Authorization": "Bearer "}).get("/healthz")
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_staff_and_allowed_addresses_see_the_checks(settings, alive, manager, client_user):
    from django.test import Client

    from kabinet.conftest import logged_in

    assert "checks" in logged_in(manager).get("/healthz").json()
    assert "checks" not in logged_in(client_user).get("/healthz").json()
    settings.KABINET_HEALTHZ_ALLOWED_IPS = ["10.1.0.0/16"]
    assert "checks" in Client(REMOTE_ADDR="10.1.2.3").get("/healthz").json()
    assert "checks" not in Client(REMOTE_ADDR="10.2.0.1").get("/healthz").json()
    # A forged X-Forwarded-For from an untrusted peer is not believed.
    forged = Client(REMOTE_ADDR="10.2.0.1", HTTP_X_FORWARDED_FOR="10.1.2.3")
    assert "checks" not in forged.get("/healthz").json()

from __future__ import annotations

import pytest
from django.apps import apps
from django.core.management import call_command

from kabinet.accounts.models import Client, ClientStatus, Membership, User
from kabinet.demo.seed import DEMO_PASSWORD

pytestmark = pytest.mark.django_db

# Models whose rows carry no meaning for the comparison (sessions, task results, cache).
IGNORED = {"sessions.session", "django_tasks_db.dbtaskresult", "core.scheduledrun"}


VOLATILE = {
    "last_login",
    "updated_at",
    "latest_revision_created_at",
    "last_published_at",
    "first_published_at",
}


def snapshot() -> dict[str, dict[object, dict[str, object]]]:
    result = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in IGNORED or model._meta.proxy:
            continue
        fields = [f.attname for f in model._meta.concrete_fields if f.attname not in VOLATILE]
        result[label] = {row["pk"]: row for row in model.objects.values("pk", *fields)}
    return result


def differences(before, after) -> list[str]:
    found = []
    for label, rows in before.items():
        if rows.keys() != after[label].keys():
            found.append(f"{label}: rows {sorted(rows.keys() ^ after[label].keys(), key=str)[:5]}")
            continue
        for pk, row in rows.items():
            changed = [k for k, v in row.items() if after[label][pk][k] != v]
            if changed:
                found.append(f"{label} {pk}: {changed}")
    return found


def test_seed_demo_twice_gives_the_same_data():
    call_command("seed_demo", verbosity=0)
    first = snapshot()
    call_command("seed_demo", verbosity=0)
    assert differences(first, snapshot()) == []


def test_seed_demo_creates_the_documented_logins_and_clients():
    call_command("seed_demo", verbosity=0)
    assert list(
        Client.objects.order_by("contract_number").values_list("contract_number", "status")
    ) == [
        ("100001", ClientStatus.ACTIVE),
        ("100002", ClientStatus.ACTIVE),
        ("100003", ClientStatus.ACTIVE),
        ("100004", ClientStatus.ACTIVE),
        ("100005", ClientStatus.CLOSED),
    ]
    roles = dict(User.objects.values_list("email", "role"))
    assert roles["admin@kabinet.test"] == "admin"
    assert roles["manager@kabinet.test"] == "manager"
    assert roles["manager2@kabinet.test"] == "manager"
    assert roles["editor@kabinet.test"] == "editor"
    for n in range(1, 6):
        user = User.objects.get(email=f"client10000{n}@kabinet.test")
        assert user.check_password(DEMO_PASSWORD)
        membership = Membership.objects.get(user=user)
        assert membership.client.contract_number == f"10000{n}"
        assert membership.is_admin


def test_demo_logins_work_through_the_login_page(client):
    call_command("seed_demo", verbosity=0)
    for email, home in [
        ("client100001@kabinet.test", "/cabinet/"),
        ("manager@kabinet.test", "/manager/"),
        ("editor@kabinet.test", "/editor/"),
        ("admin@kabinet.test", "/manager/"),
    ]:
        client.logout()
        response = client.post("/login/", {"username": email, "password": DEMO_PASSWORD})
        assert response["Location"] == home, email
        assert client.get(home).status_code == 200, email


def test_public_site_shows_home_in_the_chosen_language(client):
    call_command("seed_demo", verbosity=0)
    assert "Business telephony in St Petersburg" in client.get("/").content.decode()
    client.post("/language/", {"language": "ru", "next": "/"})
    body = client.get("/").content.decode()
    assert "Телефония для бизнеса в Санкт-Петербурге" in body
    assert '<html lang="ru">' in body

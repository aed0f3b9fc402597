from __future__ import annotations

import pytest
from django.core import mail

from kabinet.accounts.models import Client, ClientStatus
from kabinet.audit.models import AuditEntry
from kabinet.lib.inn import inn_with_checksum
from kabinet.notifications.models import Notification

pytestmark = pytest.mark.django_db

VALID_INN = inn_with_checksum("780000001")


def client_form(**overrides):
    data = {
        "contract_number": "100777",
        "name": "ООО «Ромашка»",
        "inn": VALID_INN,
        "kpp": "780101001",
        "legal_address": "Санкт-Петербург",
        "postal_address": "",
        "contact_person": "Иванов",
        "contact_phone": "+7 812 000-00-00",
        "contact_email": "office@romashka.example",
        "manager": "",
        "note": "",
    }
    data.update(overrides)
    return data


def test_manager_creates_client_and_it_is_audited(as_manager, manager):
    response = as_manager.post("/manager/clients/new/", client_form(manager=manager.pk))
    client = Client.objects.get(contract_number="100777")
    assert response["Location"] == f"/manager/clients/{client.pk}/"
    assert client.status == ClientStatus.ACTIVE
    assert client.manager == manager
    entry = AuditEntry.objects.get(action="client.create")
    assert entry.actor == manager
    assert entry.after["inn"] == VALID_INN
    assert entry.before == {}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("inn", "7800000011", "valid check digit"),
        ("inn", "12345", "valid check digit"),
        ("inn", "78000000ab", "digits"),
        ("kpp", "12345", "9 digits"),
        ("contract_number", "10-777", "digits only"),
        ("name", "", "required"),
        ("contact_email", "not-an-email", "valid e"),
    ],
)
def test_bad_client_data_is_refused_and_nothing_created(as_manager, field, value, message):
    response = as_manager.post("/manager/clients/new/", client_form(**{field: value}))
    assert response.status_code == 200
    assert message.lower() in response.content.decode().lower()
    assert not Client.objects.exists()
    assert not AuditEntry.objects.exists()


def test_contract_number_is_unique(as_manager, company):
    response = as_manager.post(
        "/manager/clients/new/", client_form(contract_number=company.contract_number)
    )
    assert response.status_code == 200
    assert Client.objects.count() == 1


def test_edit_records_before_and_after(as_manager, company):
    data = client_form(
        contract_number="999", name="ООО «Балтийская логистика СПб»", inn=company.inn
    )
    response = as_manager.post(f"/manager/clients/{company.pk}/edit/", data)
    assert response.status_code == 302
    company.refresh_from_db()
    assert company.name == "ООО «Балтийская логистика СПб»"
    assert company.contract_number == "100001"  # fixed once created
    entry = AuditEntry.objects.get(action="client.update")
    assert entry.before["name"] == "ООО «Балтийская логистика»"
    assert entry.after["name"] == "ООО «Балтийская логистика СПб»"
    page = as_manager.get(f"/manager/clients/{company.pk}/").content.decode()
    assert "client.update" in page


def test_suspend_notifies_users_and_needs_confirmation(as_manager, company, client_user):
    url = f"/manager/clients/{company.pk}/suspend/"
    response = as_manager.post(url, {"status": "suspended", "reason": "Долг"})
    assert response.status_code == 200  # no confirmation ticked
    company.refresh_from_db()
    assert company.status == ClientStatus.ACTIVE
    response = as_manager.post(url, {"status": "suspended", "reason": "Долг", "confirm": "on"})
    assert response.status_code == 302
    company.refresh_from_db()
    assert company.status == ClientStatus.SUSPENDED
    notice = Notification.objects.get(user=client_user)
    assert "100001" in notice.title
    assert notice.body == "Долг"
    assert mail.outbox[-1].to == [client_user.email]
    entry = AuditEntry.objects.get(action="client.suspended")
    assert entry.before == {"status": "active"} and entry.after == {"status": "suspended"}


def test_closed_client_cannot_be_reopened(as_manager, company):
    as_manager.post(f"/manager/clients/{company.pk}/close/", {"status": "closed", "confirm": "on"})
    company.refresh_from_db()
    assert company.status == ClientStatus.CLOSED
    response = as_manager.post(
        f"/manager/clients/{company.pk}/resume/", {"status": "active", "confirm": "on"}
    )
    assert response.status_code == 200
    company.refresh_from_db()
    assert company.status == ClientStatus.CLOSED


def test_forged_status_in_form_is_refused(as_manager, company):
    response = as_manager.post(
        f"/manager/clients/{company.pk}/suspend/", {"status": "closed", "confirm": "on"}
    )
    assert response.status_code == 200
    company.refresh_from_db()
    assert company.status == ClientStatus.ACTIVE


def test_unknown_status_action_is_404(as_manager, company):
    assert as_manager.get(f"/manager/clients/{company.pk}/delete/").status_code == 404
    assert Client.objects.filter(pk=company.pk).exists()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=Балтийская", ["100001"]),
        ("q=балтийская", ["100001"]),
        ("q=100002", ["100002"]),
        ("q=10000", ["100001", "100002"]),
        ("status=suspended", []),
        ("status=active", ["100001", "100002"]),
    ],
)
def test_client_search(as_manager, company, other_company, query, expected):
    response = as_manager.get(f"/manager/clients/?{query}")
    rows = [c.contract_number for c in response.context["page"].object_list]
    assert rows == expected


def test_search_by_inn(as_manager, company, other_company):
    response = as_manager.get(f"/manager/clients/?q={other_company.inn}")
    assert [c.contract_number for c in response.context["page"].object_list] == ["100002"]


def test_client_list_runs_fixed_queries(
    as_manager, make_client, manager, django_assert_max_num_queries
):
    for _ in range(3):
        make_client(manager=manager)
    with django_assert_max_num_queries(12) as small:
        as_manager.get("/manager/clients/")
    small_count = len(small.captured_queries)
    for _ in range(40):
        make_client(manager=manager)
    with django_assert_max_num_queries(small_count):
        as_manager.get("/manager/clients/")


def test_audit_log_filters(as_manager, company, manager):
    as_manager.post(
        f"/manager/clients/{company.pk}/suspend/", {"status": "suspended", "confirm": "on"}
    )
    response = as_manager.get("/manager/audit/?action=client.suspend")
    assert [e.action for e in response.context["page"].object_list] == ["client.suspended"]
    response = as_manager.get("/manager/audit/?action=invitation")
    assert list(response.context["page"].object_list) == []

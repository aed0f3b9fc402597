"""The screens: each shows only the signed-in company's data; employees see but do not act;
bad input gets a clear message and changes nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from kabinet.conftest import english_client
from kabinet.exchange.models import OutboxRecord
from kabinet.numbers import services
from kabinet.numbers.models import CallCategory, CallLabelVersion, ConsentText, LabelStatus

from .helpers import file, give

pytestmark = pytest.mark.django_db


def en(user):
    http = english_client()
    http.force_login(user)
    return http


@pytest.fixture
def numbers(company, other_company, subscribe, public_tariff):
    subscription = subscribe(company, public_tariff)
    give(company, "78124001001", "78124001002", subscription=subscription)
    give(other_company, "78124002002")


def form_data(**overrides):
    data = {
        "brand": "БалтЛог",
        "category": str(CallCategory.objects.get(code="delivery").pk),
        "display_text": "Балтийская логистика",
        "numbers": ["78124001001"],
        "consent": "on",
    }
    data.update(overrides)
    return data


def test_the_numbers_page_lists_own_numbers_only(
    numbers, client_user, django_assert_max_num_queries
):
    http = en(client_user)
    with django_assert_max_num_queries(20):
        page = http.get("/cabinet/numbers/").content.decode()
    assert "+7 812 400-10-01" in page and "+7 812 400-10-02" in page
    assert "+7 812 400-20-02" not in page
    assert "Local number" in page and "Not labelled" in page
    assert 'href="/cabinet/calls/?number=78124001001"' in page


def test_released_numbers_stay_in_the_history(numbers, company, client_user):
    services.number_release(
        client_id=company.pk,
        number="78124001002",
        at=services.current_numbers(company)[0].assigned_at,
    )
    page = en(client_user).get("/cabinet/numbers/").content.decode()
    assert "Former numbers" in page and "+7 812 400-10-02" in page


def test_an_administrator_files_an_application_through_the_form(numbers, client_user, company):
    http = en(client_user)
    page = http.get("/cabinet/call-labelling/apply/").content.decode()
    assert company.name in page and "data-label-text" in page
    assert "numbers/js/call-label.js" in page
    response = http.post("/cabinet/call-labelling/apply/", form_data(), REMOTE_ADDR="192.0.2.9")
    assert response.status_code == 302
    version = CallLabelVersion.objects.get()
    assert (version.numbers, version.consent_ip, version.legal_name) == (
        ["78124001001"],
        "192.0.2.9",
        company.name,
    )
    page = http.get("/cabinet/call-labelling/").content.decode()
    assert "In moderation" in page
    pdf = http.get(f"/cabinet/call-labelling/{version.pk}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_the_legal_name_cannot_be_changed_by_the_form(numbers, client_user, company):
    en(client_user).post("/cabinet/call-labelling/apply/", form_data(legal_name="ООО «Рога»"))
    assert CallLabelVersion.objects.get().legal_name == company.name


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"display_text": "Я" * 33}, "At most 32 characters"),
        ({"display_text": "Звоним 😀"}, "not allowed"),
        ({"numbers": ["78124002002"]}, "is not one of the available choices"),
        ({"numbers": []}, "This field is required"),
        ({"consent": ""}, "This field is required"),
        ({"category": "999999"}, "Select a valid choice"),
    ],
)
def test_bad_applications_are_refused_with_a_message(numbers, client_user, change, message):
    response = en(client_user).post("/cabinet/call-labelling/apply/", form_data(**change))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not CallLabelVersion.objects.exists()


def test_an_employee_sees_the_labelling_but_cannot_apply(numbers, colleague):
    http = en(colleague)
    assert (
        "Only the company's administrators" in http.get("/cabinet/call-labelling/").content.decode()
    )
    response = http.post("/cabinet/call-labelling/apply/", form_data())
    assert response.status_code == 403
    assert not CallLabelVersion.objects.exists()
    response = http.post("/cabinet/call-labelling/withdraw/", follow=True)
    assert "administrators" in response.content.decode()


def test_a_second_application_in_moderation_is_refused_by_the_form(numbers, client_user):
    http = en(client_user)
    http.post("/cabinet/call-labelling/apply/", form_data())
    response = http.post("/cabinet/call-labelling/apply/", form_data(display_text="Другой"))
    assert response.status_code == 400
    assert "already in moderation" in response.content.decode()
    assert CallLabelVersion.objects.count() == 1


def test_a_client_cannot_open_another_companys_application(
    numbers, other_company, other_client_user, client_user
):
    other = file(other_company, other_client_user, display_text="Невский текстиль")
    http = en(client_user)
    assert http.get(f"/cabinet/call-labelling/{other.pk}/pdf/").status_code == 404
    for path in ("/cabinet/call-labelling/", "/cabinet/numbers/", "/cabinet/call-labelling/apply/"):
        page = http.get(path).content.decode()
        assert "Невский текстиль" not in page and "+7 812 400-20-02" not in page
    # Its administrator cannot withdraw the other company's labelling either.
    http.post("/cabinet/call-labelling/withdraw/")
    other.refresh_from_db()
    assert other.status == LabelStatus.MODERATION
    assert "+7 812 400-20-02" not in http.get("/cabinet/call-labelling/apply/").content.decode()


def test_withdrawal_through_the_cabinet(numbers, company, client_user, manager):
    services.label_approve(version=file(company, client_user), actor=manager)
    response = en(client_user).post("/cabinet/call-labelling/withdraw/", follow=True)
    assert "Labelling is withdrawn" in response.content.decode()
    assert "Withdrawal asked on" in response.content.decode()
    assert OutboxRecord.objects.filter(type="call_label.withdrawn").count() == 1
    response = en(client_user).post("/cabinet/call-labelling/withdraw/", follow=True)
    assert "no labelling to withdraw" in response.content.decode()
    assert OutboxRecord.objects.filter(type="call_label.withdrawn").count() == 1


@pytest.mark.parametrize(
    "path",
    [
        "/manager/call-labelling/",
        "/manager/call-labelling/settings/",
        "/manager/numbers/clients/1/",
    ],
)
def test_clients_cannot_open_the_managers_screens(numbers, client_user, path):
    assert en(client_user).get(path).status_code in (403, 404)


def test_the_manager_moderates_from_the_queue(numbers, company, client_user, manager):
    version = file(company, client_user)
    http = en(manager)
    queue = http.get("/manager/call-labelling/").content.decode()
    assert "Балтийская логистика" in queue and "100001" in queue
    detail = http.get(f"/manager/call-labelling/{version.pk}/").content.decode()
    assert "as in the contract" in detail and "+7 812 400-10-01" in detail
    assert http.get(f"/manager/call-labelling/{version.pk}/pdf/").content.startswith(b"%PDF")
    response = http.post(f"/manager/call-labelling/{version.pk}/approve/", follow=True)
    assert "goes to billing" in response.content.decode()
    version.refresh_from_db()
    assert version.status == LabelStatus.SUBMITTED
    response = http.post(f"/manager/call-labelling/{version.pk}/approve/", follow=True)
    assert "already been decided" in response.content.decode()
    assert OutboxRecord.objects.filter(type="call_label.submitted").count() == 1


def test_the_manager_declines_with_a_reason(numbers, company, client_user, manager):
    version = file(company, client_user)
    http = en(manager)
    response = http.post(
        f"/manager/call-labelling/{version.pk}/decline/", {"reason": ""}, follow=True
    )
    assert "Say why" in response.content.decode()
    version.refresh_from_db()
    assert version.status == LabelStatus.MODERATION
    http.post(f"/manager/call-labelling/{version.pk}/decline/", {"reason": "Не тот ИНН"})
    version.refresh_from_db()
    assert (version.status, version.reason) == (LabelStatus.DECLINED, "Не тот ИНН")


def test_the_manager_sees_a_clients_numbers(numbers, company, manager):
    http = en(manager)
    assert (
        f'href="/manager/numbers/clients/{company.pk}/"'
        in http.get(f"/manager/clients/{company.pk}/").content.decode()
    )
    page = http.get(f"/manager/numbers/clients/{company.pk}/").content.decode()
    assert "+7 812 400-10-01" in page and "+7 812 400-20-02" not in page


def test_managers_keep_the_categories_and_the_consent_versions(manager):
    http = en(manager)
    http.post(
        "/manager/call-labelling/settings/",
        {"code": "insurance", "name": "Страхование", "name_en": "Insurance", "position": "5"},
    )
    category = CallCategory.objects.get(code="insurance")
    response = http.post(
        "/manager/call-labelling/settings/", {"code": "insurance", "name": "Х", "position": "5"}
    )
    assert response.status_code == 400 and "exists" in response.content.decode()
    http.post(f"/manager/call-labelling/categories/{category.pk}/toggle/")
    category.refresh_from_db()
    assert not category.is_active
    http.post("/manager/call-labelling/consent/", {"text": "Согласие, редакция 2", "text_en": ""})
    assert list(ConsentText.objects.values_list("version", flat=True)) == [2, 1]
    response = http.post(
        "/manager/call-labelling/consent/", {"text": "Согласие, редакция 2", "text_en": ""}
    )
    assert response.status_code == 400
    assert ConsentText.objects.count() == 2


def test_pages_start_in_russian(numbers, client_user):
    http = Client()
    http.force_login(client_user)
    page = http.get("/cabinet/call-labelling/").content.decode()
    assert "Маркировка звонков" in page and "Подать заявление" in page

"""Filing, moderating and withdrawing call labelling, and what billing is told."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from kabinet.exchange.models import OutboxRecord
from kabinet.notifications.models import Notification
from kabinet.numbers import services
from kabinet.numbers.models import CallLabel, CallLabelVersion, ConsentText, LabelStatus
from kabinet.subscriptions.models import Subscription

from .helpers import file, give

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_an_administrator_files_an_application_with_consent_and_a_signed_pdf(
    numbers, company, client_user
):
    version = file(company, client_user, numbers=["78124001002"])
    assert version.status == LabelStatus.MODERATION
    assert (version.version, version.legal_name, version.numbers) == (
        1,
        company.name,
        ["78124001002"],
    )
    assert (version.consent.version, version.consented_by, version.consent_ip) == (
        1,
        client_user,
        "192.0.2.7",
    )
    assert bytes(version.pdf).startswith(b"%PDF")
    assert not OutboxRecord.objects.filter(type__startswith="call_label").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Я" * 33, "At most 32 characters; this text has 33."),
        ("Доставка 🚚", "not allowed: 🚚"),
        ("Acme™", "not allowed: ™"),
        ("<script>", "not allowed: < >"),
        ("   ", "Enter the text"),
    ],
)
def test_a_bad_display_text_is_refused_and_nothing_is_filed(
    numbers, company, client_user, text, message
):
    with pytest.raises(ValidationError) as exc:
        file(company, client_user, display_text=text)
    assert message in " ".join(exc.value.messages)
    assert not CallLabelVersion.objects.exists()
    assert not CallLabel.objects.exists()


def test_thirty_two_characters_and_spaces_are_tidied(numbers, company, client_user):
    version = file(company, client_user, display_text="  Ёлки   " + "а" * 26 + " ")
    assert version.display_text == "Ёлки " + "а" * 26
    assert len("Ёлки " + "а" * 27) == 32
    CallLabelVersion.objects.all().delete()
    CallLabel.objects.all().delete()
    assert file(company, client_user, display_text="Ёлки " + "а" * 27).display_text


def test_the_allowed_characters_are_one_setting(numbers, company, client_user, settings):
    settings.KABINET_CALL_LABEL_CHARS = "A-Z "
    with pytest.raises(ValidationError):
        file(company, client_user, display_text="Балт")
    assert file(company, client_user, display_text="BALT").display_text == "BALT"


def test_numbers_not_the_companys_are_refused(numbers, company, other_company, client_user):
    give(other_company, "78124002002")
    services.number_release(client_id=company.pk, number="78124001002", at=numbers[0].assigned_at)
    for chosen in (["78124002002"], ["78124001002"], ["79990000000"], []):
        with pytest.raises(ValidationError):
            file(company, client_user, numbers=chosen)
    assert not CallLabelVersion.objects.exists()


def test_an_employee_cannot_file(numbers, company, colleague):
    with pytest.raises(ValidationError, match="administrators"):
        file(company, colleague)
    assert not CallLabelVersion.objects.exists()


def test_a_second_application_while_one_is_in_moderation_is_refused(numbers, company, client_user):
    file(company, client_user)
    with pytest.raises(ValidationError, match="already in moderation"):
        file(company, client_user, display_text="Другой")
    assert CallLabelVersion.objects.count() == 1


def test_an_outdated_consent_is_refused(numbers, company, client_user, manager):
    old = services.consent_current()
    services.consent_publish(actor=manager, text="Новый текст согласия", text_en="New consent")
    with pytest.raises(ValidationError, match="consent text has changed"):
        file(company, client_user, consent=old)
    assert ConsentText.objects.count() == 2


def test_approval_sends_the_application_to_billing_and_subscribes_the_company(
    numbers, company, client_user, manager, label_tariff
):
    version = services.label_approve(version=file(company, client_user), actor=manager)
    assert version.status == LabelStatus.SUBMITTED
    record = OutboxRecord.objects.get(type="call_label.submitted")
    assert record.data == {
        "contract": "100001",
        "label_id": str(version.label_id),
        "version": 1,
        "legal_name": company.name,
        "brand": "БалтЛог",
        "category": "delivery",
        "display_text": "Балтийская логистика",
        "numbers": ["78124001001", "78124001002"],
        "consent_version": 1,
        "consented_at": version.consented_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "consented_by": "boss@baltlog.example",
    }
    subscription = Subscription.objects.get(client=company, service=label_tariff.service)
    assert subscription.tariff == label_tariff
    assert Notification.objects.filter(user=client_user, title__contains="approved").exists()
    # A second version does not subscribe twice.
    second = file(company, client_user, display_text="БалтЛог")
    services.label_approve(version=second, actor=manager)
    assert Subscription.objects.filter(client=company, service=label_tariff.service).count() == 1
    assert OutboxRecord.objects.filter(type="call_label.submitted").count() == 2


def test_a_declined_application_tells_the_client_why_and_sends_nothing(
    numbers, company, client_user, manager
):
    version = services.label_decline(
        version=file(company, client_user), actor=manager, reason="Название не совпадает"
    )
    assert (version.status, version.reason) == (LabelStatus.DECLINED, "Название не совпадает")
    assert Notification.objects.filter(user=client_user, title__contains="declined").exists()
    assert not OutboxRecord.objects.filter(type__startswith="call_label").exists()
    with pytest.raises(ValidationError, match="already been decided"):
        services.label_approve(version=version, actor=manager)
    # The company may file again.
    assert file(company, client_user).version == 2


def test_a_decline_needs_a_reason(numbers, company, client_user, manager):
    version = file(company, client_user)
    with pytest.raises(ValidationError):
        services.label_decline(version=version, actor=manager, reason="  ")
    version.refresh_from_db()
    assert version.status == LabelStatus.MODERATION


def test_approval_refuses_numbers_the_company_lost_meanwhile(
    numbers, company, client_user, manager
):
    version = file(company, client_user)
    services.number_release(client_id=company.pk, number="78124001002", at=numbers[0].assigned_at)
    with pytest.raises(ValidationError, match="no longer the company's"):
        services.label_approve(version=version, actor=manager)
    version.refresh_from_db()
    assert version.status == LabelStatus.MODERATION
    assert not OutboxRecord.objects.filter(type="call_label.submitted").exists()


def test_withdrawal_of_a_sent_labelling_tells_billing(numbers, company, client_user, manager):
    version = services.label_approve(version=file(company, client_user), actor=manager)
    label = services.label_withdraw(client=company, actor=client_user)
    assert label.withdrawn_at is not None
    record = OutboxRecord.objects.get(type="call_label.withdrawn")
    assert record.data["label_id"] == str(version.label_id)
    assert set(record.data) == {"contract", "label_id", "withdrawn_at"}
    # A new application starts a new labelling.
    assert file(company, client_user).label_id != version.label_id


def test_withdrawal_of_an_application_in_moderation_stays_on_the_website(
    numbers, company, client_user
):
    version = file(company, client_user)
    services.label_withdraw(client=company, actor=client_user)
    version.refresh_from_db()
    assert version.status == LabelStatus.WITHDRAWN
    assert not OutboxRecord.objects.filter(type="call_label.withdrawn").exists()


def test_an_employee_cannot_withdraw(numbers, company, client_user, colleague):
    file(company, client_user)
    with pytest.raises(ValidationError):
        services.label_withdraw(client=company, actor=colleague)
    assert CallLabel.objects.get().withdrawn_at is None

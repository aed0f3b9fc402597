"""number.assigned, number.released and call_label.status from billing: applied, or the whole
package rejected with the line and the reason, nothing changed."""

from __future__ import annotations

import pytest

from kabinet.exchange.models import ExchangePackage
from kabinet.numbers import services
from kabinet.numbers.models import CallLabelEvent, LabelStatus, PhoneNumber

from .helpers import file, give, send, status

pytestmark = pytest.mark.django_db


def assigned(peer, contract="100001", number="78124001001", subscription="", at=None):
    return peer.record(
        "number.assigned",
        contract=contract,
        number=number,
        subscription_id=subscription,
        assigned_at=at or "2026-11-01T09:00:00Z",
    )


def released(peer, contract="100001", number="78124001001"):
    return peer.record(
        "number.released", contract=contract, number=number, released_at="2026-11-20T09:00:00Z"
    )


def test_assigned_numbers_belong_to_the_contract(peer, company, subscribe, public_tariff):
    subscription = subscribe(company, public_tariff)
    result = send(
        peer,
        assigned(peer, subscription=str(subscription.pk)),
        assigned(peer, number="78124001002"),
    )
    assert result.ok, result.report
    rows = list(PhoneNumber.objects.order_by("number").values_list("number", "client_id"))
    assert rows == [("78124001001", company.pk), ("78124001002", company.pk)]
    first = PhoneNumber.objects.get(number="78124001001")
    assert first.subscription == subscription
    assert first.display == "+7 812 400-10-01"


def test_a_released_number_stays_in_the_history_and_may_go_to_another_contract(
    peer, company, other_company
):
    give(company, "78124001001")
    result = send(
        peer, released(peer), assigned(peer, contract="100002", at="2026-11-21T09:00:00Z")
    )
    assert result.ok, result.report
    old, new = PhoneNumber.objects.order_by("assigned_at")
    assert (old.client, old.released_at is not None) == (company, True)
    assert (new.client, new.released_at) == (other_company, None)


def test_a_number_another_contract_holds_rejects_the_package(peer, company, other_company):
    give(company, "78124001001")
    result = send(peer, assigned(peer, number="78124009999"), assigned(peer, contract="100002"))
    assert not result.ok
    assert "line 2" in result.report
    assert "belongs to contract '100001'" in result.report
    assert PhoneNumber.objects.count() == 1
    assert not ExchangePackage.objects.filter(status="imported").exists()


def test_a_number_assigned_twice_in_one_package_to_two_contracts_is_refused(
    peer, company, other_company
):
    result = send(peer, assigned(peer), assigned(peer, contract="100002"))
    assert not result.ok and "line 2" in result.report
    assert PhoneNumber.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"number": "+78124001001"}, "number must be digits"),
        ({"number": "812"}, "number must be digits"),
        ({"subscription_id": "999999"}, "unknown subscription"),
        ({"contract": "999999"}, "unknown contract"),
        ({"assigned_at": "yesterday"}, "assigned_at must be an RFC 3339"),
    ],
)
def test_a_bad_number_record_rejects_the_package(peer, company, data, reason):
    record = assigned(peer)
    record["data"].update(data)
    result = send(peer, record)
    assert not result.ok
    assert "line 1" in result.report and reason in result.report
    assert PhoneNumber.objects.count() == 0


def test_releasing_a_number_the_contract_does_not_hold_is_refused(peer, company, other_company):
    give(other_company, "78124001001")
    result = send(peer, released(peer))
    assert not result.ok and "is not assigned to contract '100001'" in result.report
    assert PhoneNumber.objects.get().released_at is None


# --- call_label.status ---------------------------------------------------------------------


@pytest.fixture
def sent(company, client_user, manager):
    give(company, "78124001001", "78124001002")
    version = file(company, client_user)
    return services.label_approve(version=version, actor=manager)


def test_active_status_puts_the_labelling_in_force(peer, sent):
    result = send(peer, status(peer, sent, "accepted"), status(peer, sent, "active"))
    assert result.ok, result.report
    sent.refresh_from_db()
    assert sent.status == LabelStatus.ACTIVE
    assert services.label_state(sent.client).active == sent
    assert CallLabelEvent.objects.filter(applied=True).count() == 2


def test_a_status_of_an_older_version_is_recorded_but_changes_nothing(
    peer, sent, client_user, manager
):
    assert send(peer, status(peer, sent, "active")).ok
    second = services.label_approve(
        version=file(sent.client, client_user, display_text="БалтЛог доставка"), actor=manager
    )
    result = send(peer, status(peer, sent, "rejected", reason="late"))
    assert result.ok, result.report
    assert "recorded only" in result.report
    sent.refresh_from_db()
    assert sent.status == LabelStatus.ACTIVE
    event = CallLabelEvent.objects.get(status="rejected")
    assert (event.version, event.applied) == (1, False)
    # The successor becomes active: the first version ends, replaced.
    assert send(peer, status(peer, second, "active")).ok
    sent.refresh_from_db()
    second.refresh_from_db()
    assert (sent.status, second.status) == (LabelStatus.SUPERSEDED, LabelStatus.ACTIVE)


def test_a_rejected_new_version_keeps_the_active_one(peer, sent, client_user, manager):
    assert send(peer, status(peer, sent, "active")).ok
    second = services.label_approve(
        version=file(sent.client, client_user, display_text="Другой текст"), actor=manager
    )
    assert send(peer, status(peer, second, "rejected", reason="Текст вводит в заблуждение")).ok
    second.refresh_from_db()
    assert (second.status, second.reason) == (LabelStatus.REJECTED, "Текст вводит в заблуждение")
    assert services.label_state(sent.client).active == sent


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"label_id": "6f1c2a4e-8b3d-4c5e-9f70-1a2b3c4d5e6f"}, "unknown labelling application"),
        ({"contract": "100002"}, "unknown labelling application"),
        ({"version": 7}, "version 7 of labelling"),
        ({"status": "done"}, "status must be one of"),
        ({"version": 0}, "version must be 1 or more"),
        ({"label_id": "nope"}, "label_id must be a UUID"),
    ],
)
def test_a_status_for_an_unknown_application_rejects_the_package(
    peer, sent, other_company, change, reason
):
    record = status(peer, sent, "active")
    record["data"].update(change)
    result = send(peer, record)
    assert not result.ok
    assert "line 1" in result.report and reason in result.report
    sent.refresh_from_db()
    assert sent.status == LabelStatus.SUBMITTED
    assert CallLabelEvent.objects.count() == 0


def test_a_status_for_a_version_still_in_moderation_is_refused(peer, company, client_user):
    give(company, "78124001001")
    version = file(company, client_user)
    result = send(peer, status(peer, version, "active"))
    assert not result.ok and "was never sent" in result.report
    version.refresh_from_db()
    assert version.status == LabelStatus.MODERATION

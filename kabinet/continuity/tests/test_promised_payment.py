"""Promised payments through the real screens and services: who may take one and for how
much, paying back by any payment, expiry, revocation, the rules and bars, the records billing
gets, and two requests at once granting one."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.test import TestCase
from django.utils import timezone, translation

from kabinet.accounts.models import ClientStatus
from kabinet.audit.models import AuditEntry
from kabinet.conftest import logged_in
from kabinet.continuity import services
from kabinet.continuity.models import CreditBar, CreditRules, CreditStatus, PromisedPayment
from kabinet.exchange.models import OutboxRecord
from kabinet.notifications.models import Notification
from kabinet.payments import agents

pytestmark = pytest.mark.django_db

URL = "/cabinet/promised-payment/"


def pay(client, txn: str, amount: str) -> None:
    with TestCase.captureOnCommitCallbacks(execute=True):
        agents.payment_accept_agent(
            provider="osmp", txn_id=txn, client=client, amount=Decimal(amount), txn_date="20261204"
        )


@pytest.fixture
def low(company, subscribe, public_tariff):
    """A company spending 490 ₽ a month with 50 ₽ left: a few days, below the 7-day alert."""
    subscribe(company, public_tariff)
    pay(company, "1", "50.00")
    return company


def take(http, amount: str = "400", accept: bool = True):
    data = {"amount": amount}
    if accept:
        data["accept"] = "on"
    return http.post(URL, data)


def records(kind: str) -> list[dict]:
    return list(OutboxRecord.objects.filter(type=kind).values_list("data", flat=True))


def test_an_administrator_takes_one_and_billing_hears_of_it(as_client, low, client_user, manager):
    page = as_client.get(URL).content.decode()
    assert 'data-testid="credit-form"' in page
    # The limit: 3000 ₽ at most, and at most 100 % of a month's charges (490 ₽).
    assert "490.00" in page and 'data-testid="credit-terms"' in page
    response = take(as_client, "490")
    assert response.status_code == 302
    credit = PromisedPayment.objects.get()
    assert (credit.client, credit.amount, credit.status) == (low, Decimal("490.00"), "open")
    assert credit.granted_by == client_user and "paid back by" in credit.terms
    assert credit.valid_until - credit.granted_at == dt.timedelta(days=5)
    (record,) = records("credit.promised")
    assert record == {
        "contract": "100001",
        "credit_id": str(credit.pk),
        "amount": "490.00",
        "granted_at": credit.granted_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "valid_until": credit.valid_until.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    assert AuditEntry.objects.filter(action="credit.grant").count() == 1
    assert Notification.objects.filter(user=client_user, title__contains="Promised payment")
    assert Notification.objects.filter(user=manager, title__contains="Promised payment")
    page = as_client.get(URL).content.decode()
    assert 'data-testid="credit-open"' in page and "490.00" in page
    assert 'data-testid="promised-open"' in as_client.get("/cabinet/payments/").content.decode()
    # A second one while this one is open: refused, nothing changes.
    response = take(as_client, "100")
    assert response.status_code == 400
    assert "already open" in response.content.decode()
    assert PromisedPayment.objects.count() == 1 and len(records("credit.promised")) == 1


@pytest.mark.parametrize(
    ("amount", "accept", "message"),
    [
        ("491", True, "from 1 ₽ to 490.00"),
        ("0", True, "from 1 ₽ to 490.00"),
        ("-5", True, "Enter the amount in roubles"),
        ("abc", True, "Enter the amount in roubles"),
        ("100", False, "This field is required"),
    ],
)
def test_bad_requests_change_nothing(as_client, low, amount, accept, message):
    response = take(as_client, amount, accept)
    assert response.status_code == 400 and message in response.content.decode()
    assert (
        not PromisedPayment.objects.exists()
        and not OutboxRecord.objects.filter(type="credit.promised").exists()
    )


def test_an_employee_sees_but_cannot_take(low, colleague):
    http = logged_in(colleague)
    assert 'data-testid="credit-admins-only"' in http.get(URL).content.decode()
    assert take(http).status_code == 403
    assert not PromisedPayment.objects.exists()


def test_only_when_the_balance_is_low(as_client, company, subscribe, public_tariff):
    subscribe(company, public_tariff)
    pay(company, "1", "5000.00")
    page = as_client.get(URL).content.decode()
    assert 'data-testid="credit-unavailable"' in page and "below your low-balance alert" in page
    assert take(as_client).status_code == 400 and not PromisedPayment.objects.exists()


def test_nothing_charged_nothing_to_cover(as_client, company):
    assert "nothing to cover" in as_client.get(URL).content.decode()


def test_closed_and_barred_contracts(as_client, low, manager):
    services.bar_add(client=low, actor=manager, reason="Долги в прошлом году")
    assert "Ask your manager" in as_client.get(URL).content.decode()
    assert take(as_client).status_code == 400
    services.bar_lift(bar=CreditBar.objects.get(), actor=manager)
    low.status = ClientStatus.CLOSED
    low.save()
    assert "The contract is closed" in as_client.get(URL).content.decode()
    assert not PromisedPayment.objects.exists()


def test_a_suspended_contract_may_take_one(as_client, low):
    low.status = ClientStatus.SUSPENDED
    low.save()
    pay(low, "2", "5000.00")  # plenty of money, but billing suspended the service
    assert take(as_client, "100").status_code == 302


def test_paid_back_by_any_payment(as_client, low, client_user):
    take(as_client, "400")
    credit = PromisedPayment.objects.get()
    pay(low, "2", "150.00")
    credit.refresh_from_db()
    assert (credit.status, credit.paid_amount, credit.left_to_pay) == (
        "open",
        Decimal("150.00"),
        Decimal("250.00"),
    )
    assert not records("credit.ended")
    pay(low, "3", "1000.00")
    credit.refresh_from_db()
    assert credit.status == "paid" and credit.paid_amount == Decimal("400.00")
    (ended,) = records("credit.ended")
    assert ended["reason"] == "paid" and ended["credit_id"] == str(credit.pk)
    assert Notification.objects.filter(user=client_user, title__contains="is paid back").exists()


def test_overdue_then_paid(as_client, low, client_user):
    take(as_client, "400")
    credit = PromisedPayment.objects.get()
    # A day before the deadline: one reminder, however often the pass runs.
    soon = credit.valid_until - dt.timedelta(hours=12)
    for _ in range(3):
        assert services.credits_pass(now=soon)["expired"] == 0
    assert Notification.objects.filter(user=client_user, title__startswith="Pay back").count() == 1
    late = credit.valid_until + dt.timedelta(minutes=1)
    assert services.credits_pass(now=late) == {"expired": 1, "reminded": 0}
    assert services.credits_pass(now=late)["expired"] == 0
    credit.refresh_from_db()
    assert credit.status == CreditStatus.EXPIRED and credit.is_overdue
    assert [r["reason"] for r in records("credit.ended")] == ["expired"]
    # Unpaid: no new one. Paid later: the next one is possible (within 2 per 30 days).
    assert "not paid back yet" in as_client.get(URL).content.decode()
    pay(low, "2", "400.00")
    credit.refresh_from_db()
    assert credit.paid_amount == Decimal("400.00") and credit.status == CreditStatus.EXPIRED
    assert len(records("credit.ended")) == 1
    page = as_client.get(URL).content.decode()
    assert "not paid back yet" not in page  # now refused only because the balance is fine
    assert "below your low-balance alert" in page


def test_at_most_k_in_thirty_days(as_client, low):
    CreditRules.objects.update_or_create(pk=1, defaults={"per_30_days": 1})
    take(as_client, "400")
    pay(low, "2", "400.00")
    assert PromisedPayment.objects.get().status == "paid"
    page = as_client.get(URL).content.decode()
    assert "At most 1 promised payment in 30 days; the next one from" in page


def test_manager_revokes_with_a_reason(as_client, as_manager, low, client_user, manager):
    take(as_client, "300")
    credit = PromisedPayment.objects.get()
    page = as_manager.get("/manager/promised-payments/").content.decode()
    assert "100001" in page and 'data-testid="credits-open">1' in page
    url = f"/manager/promised-payments/{credit.pk}/revoke/"
    as_manager.post(url, {"reason": ""})
    assert PromisedPayment.objects.get().status == "open"
    as_manager.post(url, {"reason": "Клиент просил отменить"})
    credit.refresh_from_db()
    assert credit.status == "revoked" and credit.revoked_by == manager
    assert records("credit.ended")[0]["reason"] == "revoked"
    assert AuditEntry.objects.filter(action="credit.revoke").exists()
    assert Notification.objects.filter(user=client_user, body__contains="Клиент просил").exists()
    # The client cannot reach the manager's screens; revoking twice changes nothing.
    assert as_client.post(url, {"reason": "x"}).status_code in (302, 403)
    as_manager.post(url, {"reason": "again"})
    assert len(records("credit.ended")) == 1


def test_manager_filters(as_client, as_manager, low, other_company):
    take(as_client, "300")
    credit = PromisedPayment.objects.get()
    assert "100001" in as_manager.get("/manager/promised-payments/?state=open").content.decode()
    overdue = as_manager.get("/manager/promised-payments/?state=overdue").content.decode()
    assert 'data-testid="credit-table"' not in overdue
    PromisedPayment.objects.update(valid_until=timezone.now() - dt.timedelta(hours=1))
    overdue = as_manager.get("/manager/promised-payments/?state=overdue").content.decode()
    assert str(credit.client.name) in overdue
    assert (
        "100001"
        not in as_manager.get("/manager/promised-payments/?state=&contract=100002")
        .content.decode()
        .split('data-testid="credit-table"')[-1]
    )


def test_rules_and_bars_are_audited(as_manager, company):
    response = as_manager.post(
        "/manager/promised-payments/rules/",
        {
            "enabled": "on",
            "max_amount": "1500",
            "max_share": "50",
            "valid_days": "3",
            "per_30_days": "1",
        },
    )
    assert response.status_code == 302
    rules = CreditRules.objects.get()
    assert (rules.max_amount, rules.max_share, rules.valid_days) == (Decimal("1500"), 50, 3)
    assert AuditEntry.objects.filter(action="credit.rules").exists()
    bad = as_manager.post(
        "/manager/promised-payments/rules/",
        {
            "enabled": "on",
            "max_amount": "-1",
            "max_share": "50",
            "valid_days": "0",
            "per_30_days": "1",
        },
    )
    assert bad.status_code == 400 and CreditRules.objects.get().valid_days == 3
    assert (
        as_manager.post(
            "/manager/promised-payments/bars/", {"contract": "999999", "reason": "x"}
        ).status_code
        == 400
    )
    as_manager.post("/manager/promised-payments/bars/", {"contract": "100001", "reason": "Долг"})
    bar = CreditBar.objects.get()
    assert (
        as_manager.post(
            "/manager/promised-payments/bars/", {"contract": "100001", "reason": "Ещё"}
        ).status_code
        == 400
    )
    as_manager.post(f"/manager/promised-payments/bars/{bar.pk}/lift/")
    bar.refresh_from_db()
    assert bar.lifted_at is not None
    assert AuditEntry.objects.filter(action__in=["credit.bar", "credit.unbar"]).count() == 2


def test_limit_by_share_of_charges(low):
    CreditRules.objects.update_or_create(pk=1, defaults={"max_share": 50})
    offer = services.offer_for(low)
    assert offer.available and offer.limit == Decimal("245.00")
    CreditRules.objects.filter(pk=1).update(max_share=0, max_amount=Decimal("1000.00"))
    assert services.offer_for(low).limit == Decimal("1000.00")


def test_one_of_two_requests_at_once_is_granted(transactional_db, low, client_user):
    """Two administrators press "Take" at the same moment: one promised payment."""
    errors: list[BaseException] = []
    refused: list[str] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        translation.activate("en")  # a thread starts in the default language
        try:
            barrier.wait()
            for attempt in range(20):
                try:
                    services.credit_take(client=low, actor=client_user, amount=Decimal("300.00"))
                    break
                except Exception as exc:
                    if "locked" in str(exc) and attempt < 19:  # SQLite: retry, like a person
                        continue
                    if hasattr(exc, "messages"):
                        refused.append(" ".join(exc.messages))
                        break
                    raise
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert PromisedPayment.objects.count() == 1
    assert len(records("credit.promised")) == 1
    assert len(refused) == 1 and "already open" in refused[0]

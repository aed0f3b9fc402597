"""Card autopay against a YooKassa stand-in written from the API reference: an administrator
reads the terms, agrees, pays once with a card that YooKassa saves (``save_payment_method``);
the low-balance alert charges the saved card (``payment_method_id``, one stage, with an
Idempotence-Key) once per crossing and never twice a day; two declines in a row, or a card
YooKassa can no longer charge, stop it; turning it off forgets the card."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import TestCase
from django.utils import timezone

from kabinet.audit.models import AuditEntry
from kabinet.conftest import logged_in
from kabinet.continuity import autopay as autopay_services
from kabinet.continuity.models import (
    Autopay,
    AutopayCharge,
    AutopayChargeStatus,
    AutopayStatus,
)
from kabinet.exchange.models import OutboxRecord
from kabinet.forecast import services as forecast
from kabinet.forecast.models import AlertPolicy
from kabinet.lib.money import display_money
from kabinet.notifications.models import Notification
from kabinet.payments import agents
from kabinet.payments.models import GatewayOperation, OperationKind, Payment, PaymentStatus
from kabinet.payments.selectors import client_balance
from kabinet.payments.tests.yookassa_standin import YooKassaStandIn

pytestmark = pytest.mark.django_db

URL = "/cabinet/autopay/"
SHOP, SECRET = "123456", "test_secret"


@pytest.fixture
def yk(settings):
    standin = YooKassaStandIn(SHOP, SECRET).start()
    settings.KABINET_PAYMENT_PROVIDERS = ["yookassa"]
    settings.KABINET_YOOKASSA_SHOP_ID = SHOP
    settings.KABINET_YOOKASSA_SECRET_KEY = SECRET
    settings.KABINET_YOOKASSA_API_URL = standin.url
    settings.KABINET_YOOKASSA_METHODS = ["card", "sbp"]
    settings.KABINET_YOOKASSA_ALLOWED_IPS = []
    settings.KABINET_RECEIPTS = True
    settings.KABINET_GATEWAY_TIMEOUT = 3
    yield standin
    standin.stop()


@pytest.fixture
def low(company, subscribe, public_tariff):
    subscribe(company, public_tariff)  # 490 ₽ a month
    agents.payment_accept_agent(
        provider="osmp", txn_id="1", client=company, amount=Decimal("50.00"), txn_date="20261204"
    )
    return company


def run_pass() -> None:
    with TestCase.captureOnCommitCallbacks(execute=True):
        forecast.forecast_pass()


def rearm() -> None:
    AlertPolicy.objects.update(armed=True, last_alert_at=None)


def turn_on(as_client, yk, *, amount="3000.00", first="1000.00", email="buh@baltlog.example"):
    """The administrator's two steps, then paying on YooKassa's page and its notification."""
    terms = as_client.post(URL, {"amount": amount, "first_amount": first, "email": email})
    assert terms.status_code == 200
    consent = terms.context["consent"]
    response = as_client.post(
        URL,
        {
            "amount": amount,
            "first_amount": first,
            "email": email,
            "consent": consent,
            "accept": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"].startswith(yk.url + "/checkout/")
    gateway_id = response["Location"].rsplit("/", 1)[1]
    yk.pay(gateway_id)
    notified = as_client.post(
        "/pay/yookassa/notify/",
        yk.notification("payment.waiting_for_capture", gateway_id),
        content_type="application/json",
    )
    assert notified.status_code == 200
    return Autopay.objects.get(status__in=["active", "setting_up"]), consent


def test_administrator_turns_autopay_on_with_recorded_consent(
    as_client, yk, low, client_user, manager
):
    page = as_client.get(URL)
    assert page.status_code == 200
    assert 'data-testid="autopay-form"' in page.content.decode()
    autopay, consent = turn_on(as_client, yk)
    assert autopay.status == AutopayStatus.ACTIVE
    assert autopay.card_title == "Bank card *4444"
    assert autopay.method_id in yk.saved_methods
    assert autopay.amount == Decimal("3000.00")
    # The consent exactly as shown, who gave it, when and from where.
    assert autopay.consent_text == consent
    assert display_money(Decimal("3000")) in consent and "buh@baltlog.example" in consent
    assert autopay.consented_by == client_user and autopay.consent_ip == "127.0.0.1"
    assert AuditEntry.objects.filter(action="autopay.consent").exists()
    assert AuditEntry.objects.filter(action="autopay.on").exists()
    # YooKassa was asked to save the card, on a two-stage card payment with a receipt.
    create = yk.calls("POST", "/payments")[0]["body"]
    assert create["save_payment_method"] is True and create["capture"] is False
    assert create["receipt"]["customer"]["email"] == "buh@baltlog.example"
    setup = autopay.setup_payment
    assert setup.save_card and setup.status == PaymentStatus.AUTHORIZED
    assert Notification.objects.filter(
        user=client_user, title__contains="Card autopay is on"
    ).exists()
    shown = as_client.get(URL).content.decode()
    assert 'data-testid="autopay-on"' in shown and "Bank card *4444" in shown


def test_low_balance_charges_the_saved_card_once(as_client, yk, low, client_user):
    autopay, _consent = turn_on(as_client, yk)
    before = client_balance(client=low)
    run_pass()
    charge = AutopayCharge.objects.get()
    payment = charge.payment
    assert charge.status == AutopayChargeStatus.PAID
    assert payment.autopay and payment.status == PaymentStatus.CAPTURED
    assert payment.amount == Decimal("3000.00")
    assert client_balance(client=low) == before + Decimal("3000.00")
    # One request to YooKassa: the saved method, one stage, the operation's key, a receipt.
    charges = [c for c in yk.calls("POST", "/payments") if "payment_method_id" in c["body"]]
    assert len(charges) == 1
    body, headers = charges[0]["body"], charges[0]["headers"]
    assert body["payment_method_id"] == autopay.method_id and body["capture"] is True
    assert "confirmation" not in body
    assert body["receipt"]["customer"]["email"] == "buh@baltlog.example"
    operation = GatewayOperation.objects.get(payment=payment, kind=OperationKind.CREATE)
    assert headers["Idempotence-Key"] == str(operation.key)
    # The billing record and the client's notice.
    assert OutboxRecord.objects.filter(
        type="payment.captured", data__payment_id=str(payment.pk)
    ).exists()
    assert Notification.objects.filter(
        user=client_user, title__contains="charged and paid to your balance"
    ).exists()
    # The alert fires again the same day: never a second charge that day.
    rearm()
    run_pass()
    assert AutopayCharge.objects.count() == 1
    assert len([c for c in yk.calls("POST", "/payments") if "payment_method_id" in c["body"]]) == 1
    # The payment history shows it as autopay, and the autopay page lists the charge.
    assert ">autopay</span>" in as_client.get("/cabinet/payments/").content.decode()
    assert 'data-testid="autopay-charges"' in as_client.get(URL).content.decode()


def test_two_declines_in_a_row_stop_autopay_and_forget_the_card(
    as_client, yk, low, client_user, manager
):
    autopay, _consent = turn_on(as_client, yk)
    yk.decline_charges(autopay.method_id, "insufficient_funds")
    run_pass()
    first = AutopayCharge.objects.get()
    assert first.status == AutopayChargeStatus.DECLINED
    assert first.reason == "insufficient_funds"
    assert first.payment.status == PaymentStatus.DECLINED
    autopay.refresh_from_db()
    assert autopay.status == AutopayStatus.ACTIVE and autopay.declines == 1
    assert Notification.objects.filter(user=client_user, title__contains="was declined").exists()
    # The next day's crossing: declined again, autopay stops and the card is forgotten.
    AutopayCharge.objects.update(day=timezone.localdate() - dt.timedelta(days=1))
    rearm()
    run_pass()
    autopay.refresh_from_db()
    assert AutopayCharge.objects.count() == 2
    assert autopay.status == AutopayStatus.STOPPED and autopay.method_id == ""
    assert Notification.objects.filter(user=manager, title__contains="stopped").exists()
    # No more charges after that.
    for n, charge in enumerate(AutopayCharge.objects.order_by("created_at")):
        AutopayCharge.objects.filter(pk=charge.pk).update(
            day=timezone.localdate() - dt.timedelta(days=10 - n)
        )
    rearm()
    run_pass()
    assert AutopayCharge.objects.count() == 2
    assert client_balance(client=low) == Decimal("50.00")


def test_a_paid_charge_resets_the_decline_count(as_client, yk, low):
    autopay, _consent = turn_on(as_client, yk)
    yk.decline_charges(autopay.method_id, "insufficient_funds")
    run_pass()
    yk.decline_charges(autopay.method_id, "")
    AutopayCharge.objects.update(day=timezone.localdate() - dt.timedelta(days=1))
    rearm()
    run_pass()
    autopay.refresh_from_db()
    assert autopay.declines == 0 and autopay.status == AutopayStatus.ACTIVE


def test_a_revoked_permission_stops_autopay_at_once(as_client, yk, low):
    autopay, _consent = turn_on(as_client, yk)
    yk.decline_charges(autopay.method_id, "permission_revoked")
    run_pass()
    autopay.refresh_from_db()
    assert autopay.status == AutopayStatus.STOPPED and autopay.method_id == ""
    assert autopay.end_reason  # in words, not the network's code
    assert "permission_revoked" not in autopay.end_reason


def test_no_answer_is_sent_again_with_the_same_key(as_client, yk, low):
    turn_on(as_client, yk)
    yk.down = True
    run_pass()
    charge = AutopayCharge.objects.get()
    assert charge.status == AutopayChargeStatus.SENT
    assert charge.payment.status == PaymentStatus.PENDING
    yk.down = False
    report = autopay_services.autopay_pass()
    assert report["resent"] == 1
    charge.refresh_from_db()
    assert charge.status == AutopayChargeStatus.PAID
    sent = [c for c in yk.calls("POST", "/payments") if "payment_method_id" in c["body"]]
    assert len(sent) == 2
    assert sent[0]["headers"]["Idempotence-Key"] == sent[1]["headers"]["Idempotence-Key"]
    assert len([p for p in yk.payments.values() if p.get("metadata", {}).get("autopay")]) == 1
    # A second pass changes nothing.
    assert autopay_services.autopay_pass()["resent"] == 0


def test_a_charge_without_an_answer_for_a_day_is_given_up(as_client, yk, low, manager):
    turn_on(as_client, yk)
    yk.down = True
    run_pass()
    report = autopay_services.autopay_pass(now=timezone.now() + dt.timedelta(hours=25))
    assert report["given_up"] == 1
    charge = AutopayCharge.objects.get()
    assert charge.status == AutopayChargeStatus.FAILED
    assert charge.payment.status == PaymentStatus.FAILED
    assert Notification.objects.filter(title__contains="was not made").count() == 2  # + manager
    # Given up once: a later pass changes nothing.
    later = autopay_services.autopay_pass(now=timezone.now() + dt.timedelta(hours=26))
    assert later["given_up"] == 0


def test_turning_off_forgets_the_card_in_one_step(as_client, yk, low, client_user):
    autopay, _consent = turn_on(as_client, yk)
    response = as_client.post(URL + "off/")
    assert response.status_code == 302
    autopay.refresh_from_db()
    assert autopay.status == AutopayStatus.OFF and autopay.method_id == ""
    assert autopay.ended_by == client_user
    assert AuditEntry.objects.filter(action="autopay.off").exists()
    run_pass()
    assert not AutopayCharge.objects.exists()
    # Off twice: a clear message, nothing changes.
    again = as_client.post(URL + "off/", follow=True)
    assert "Autopay is already off." in again.content.decode()


def test_changing_the_amount(as_client, yk, low):
    autopay, _consent = turn_on(as_client, yk)
    assert as_client.post(URL, {"amount": "99999999"}).status_code == 400
    assert as_client.post(URL, {"amount": "5000"}).status_code == 302
    autopay.refresh_from_db()
    assert autopay.amount == Decimal("5000.00")
    assert AuditEntry.objects.filter(action="autopay.amount").exists()


@pytest.mark.parametrize(
    "data",
    [
        {"amount": "10", "first_amount": "1000", "email": "a@b.example"},  # below 100 ₽
        {"amount": "60000", "first_amount": "1000", "email": "a@b.example"},  # above the cap
        {"amount": "3000", "first_amount": "0", "email": "a@b.example"},
        {"amount": "3000", "first_amount": "1000", "email": "not an address"},
        {"amount": "abc", "first_amount": "1000", "email": "a@b.example"},
    ],
)
def test_bad_input_changes_nothing(as_client, yk, low, data):
    assert as_client.post(URL, data).status_code == 400
    assert not Autopay.objects.exists() and not yk.requests


def test_terms_must_be_agreed_and_unchanged(as_client, yk, low):
    data = {"amount": "3000.00", "first_amount": "1000.00", "email": "a@b.example"}
    consent = as_client.post(URL, data).context["consent"]
    unticked = as_client.post(URL, {**data, "consent": consent})
    assert unticked.status_code == 400 and 'data-testid="autopay-consent"' in (
        unticked.content.decode()
    )
    tampered = as_client.post(URL, {**data, "consent": consent + " x", "accept": "on"})
    assert tampered.status_code == 400
    # The amount changed after the terms were shown: the old terms do not cover it.
    other = as_client.post(URL, {**data, "amount": "4000", "consent": consent, "accept": "on"})
    assert other.status_code == 400
    assert not Autopay.objects.exists() and not yk.requests


def test_only_administrators_turn_it_on_or_off(colleague, yk, low):
    employee = logged_in(colleague)
    data = {"amount": "3000", "first_amount": "1000", "email": "a@b.example"}
    assert employee.post(URL, data).status_code == 403
    assert employee.post(URL + "off/").status_code == 302
    assert not Autopay.objects.exists()
    assert 'data-testid="autopay-admins-only"' in employee.get(URL).content.decode()


def test_a_second_setup_while_one_is_live_is_refused(as_client, yk, low, client_user):
    autopay, consent = turn_on(as_client, yk)
    with pytest.raises(ValidationError):
        autopay_services.autopay_start(
            client=low,
            actor=client_user,
            amount=autopay.amount,
            first_amount=Decimal("1000"),
            email=autopay.email,
            consent=consent,
        )
    assert Autopay.objects.count() == 1
    assert Payment.objects.filter(save_card=True).count() == 1


def test_a_declined_setup_payment_leaves_autopay_off(as_client, yk, low):
    data = {"amount": "3000.00", "first_amount": "1000.00", "email": "a@b.example"}
    consent = as_client.post(URL, data).context["consent"]
    response = as_client.post(URL, {**data, "consent": consent, "accept": "on"})
    gateway_id = response["Location"].rsplit("/", 1)[1]
    yk.decline(gateway_id)
    as_client.post(
        "/pay/yookassa/notify/",
        yk.notification("payment.canceled", gateway_id),
        content_type="application/json",
    )
    autopay = Autopay.objects.get()
    assert autopay.status == AutopayStatus.NOT_SAVED and autopay.method_id == ""
    # A new try is allowed.
    assert as_client.post(URL, data).status_code == 200


def test_each_company_sees_only_its_own(as_client, as_other_client, yk, low):
    turn_on(as_client, yk)
    run_pass()
    page = as_other_client.get(URL).content.decode()
    assert "Bank card *4444" not in page and 'data-testid="autopay-charges"' not in page
    assert as_other_client.post(URL + "off/").status_code == 302
    assert Autopay.objects.get().status == AutopayStatus.ACTIVE


def test_without_a_network_that_saves_cards_autopay_is_not_offered(as_client, low):
    page = as_client.get(URL)
    assert 'data-testid="autopay-unavailable"' in page.content.decode()
    data = {"amount": "3000", "first_amount": "1000", "email": "a@b.example"}
    assert as_client.post(URL, data).status_code == 400
    assert not Autopay.objects.exists() and not Payment.objects.filter(save_card=True).exists()


def test_a_closed_contract_is_not_charged(as_client, yk, low):
    from kabinet.accounts.models import ClientStatus

    turn_on(as_client, yk)
    type(low).objects.filter(pk=low.pk).update(status=ClientStatus.CLOSED)
    low.refresh_from_db()
    assert autopay_services.charge_on_low_balance(client=low) is None
    assert not AutopayCharge.objects.exists()


def test_the_saved_method_in_yookassas_object_is_read_strictly():
    from kabinet.payments.providers.yookassa import canonical
    from kabinet.payments.state import InvalidMessage, parse_snapshot

    base = {
        "id": "2d6a0e9f-000f-5000-9000-1b1c1c1c1c1c",
        "status": "waiting_for_capture",
        "amount": {"value": "1000.00", "currency": "RUB"},
        "metadata": {"payment_id": "0b8c7f1e-6a0d-4c8e-9a55-7f1f2f3f4f5f"},
    }
    saved = {"type": "bank_card", "id": "pm-1", "saved": True, "card": {"last4": "4444"}}
    snap = parse_snapshot(canonical({**base, "payment_method": saved}))
    assert (snap.saved_method_id, snap.saved_method_title) == ("pm-1", "*4444")
    # Not saved, or no method: nothing to save.
    unsaved = parse_snapshot(canonical({**base, "payment_method": {**saved, "saved": False}}))
    assert unsaved.saved_method_id == ""
    assert parse_snapshot(canonical(base)).saved_method_id == ""
    # A saved method without a usable id is not YooKassa's object: refused.
    for bad in (None, 42, "", "x" * 65):
        with pytest.raises(InvalidMessage):
            parse_snapshot(canonical({**base, "payment_method": {**saved, "id": bad}}))
    # A decline carries YooKassa's reason; a merchant's cancel does not.
    declined = canonical(
        {
            **base,
            "status": "canceled",
            "cancellation_details": {"party": "payment_network", "reason": "card_expired"},
        }
    )
    assert parse_snapshot(declined).decline_reason == "card_expired"
    voided = canonical(
        {
            **base,
            "status": "canceled",
            "cancellation_details": {"party": "merchant", "reason": "canceled_by_merchant"},
        }
    )
    assert parse_snapshot(voided).decline_reason == ""


def test_a_charge_stored_before_autopay_was_turned_off_is_never_sent(as_client, yk, low):
    turn_on(as_client, yk)
    with TestCase.captureOnCommitCallbacks(execute=False) as queued:
        forecast.forecast_pass()
    assert AutopayCharge.objects.get().status == AutopayChargeStatus.SENT
    as_client.post(URL + "off/")
    for callback in queued:  # the send task runs only now
        callback()
    charge = AutopayCharge.objects.get()
    assert charge.status == AutopayChargeStatus.FAILED and charge.reason == "autopay_ended"
    assert charge.payment.status == PaymentStatus.FAILED
    assert not [c for c in yk.calls("POST", "/payments") if "payment_method_id" in c["body"]]
    assert "turned off before the charge was sent" in as_client.get(URL).content.decode()

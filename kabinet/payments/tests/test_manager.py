"""The manager cabinet: the list with filters and totals, the timeline, money-back, refunds."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from kabinet.audit.models import AuditEntry
from kabinet.exchange.models import OutboxRecord
from kabinet.notifications.models import Notification
from kabinet.payments.models import Channel, LedgerEntry, Payment, PaymentStatus
from kabinet.payments.selectors import client_balance

from .helpers import money_state
from .peer import event

pytestmark = pytest.mark.django_db


def captured(held_payment, peer, gateway, amount="1500.00"):
    payment = held_payment(amount)
    p = gateway.payments[payment.gateway_payment_id]
    p["status"], p["captured"] = "captured", payment.amount
    peer.notify(event("payment.captured", gateway.object(payment.gateway_payment_id)))
    payment.refresh_from_db()
    return payment


# --- list ---------------------------------------------------------------------------------


@pytest.fixture
def many_payments(company, other_company):
    now = timezone.now()
    rows = []
    for i in range(30):
        rows.append(
            Payment(
                client=company if i % 2 else other_company,
                channel=Channel.CARD if i % 3 else Channel.TERMINAL,
                status=PaymentStatus.CAPTURED if i % 3 else PaymentStatus.ACCEPTED,
                amount=Decimal(100 + i),
                captured_amount=Decimal(100 + i),
                receipt=None if i % 3 else f"{1000 + i}",
                created_at=now - timedelta(days=i),
            )
        )
    return Payment.objects.bulk_create(rows)


@pytest.mark.parametrize(
    ("query", "count"),
    [
        ("", 30),
        ("channel=terminal", 10),
        ("status=accepted", 10),
        ("contract=100001", 15),
        ("amount_min=110&amount_max=119", 10),
        ("date_from=2000-01-01", 30),
        ("status=flagged", 0),
        ("amount_min=abc", 30),  # an invalid field is shown as an error and not applied
    ],
)
def test_payment_list_filters_and_totals(as_manager, many_payments, query, count):
    response = as_manager.get(f"/manager/payments/?{query}")
    assert response.status_code == 200
    assert response.context["totals"]["count"] == count
    expected = sum(
        p.amount
        for p in Payment.objects.filter(
            pk__in=[p.pk for p in response.context["page"].paginator.object_list]
        )
    )
    assert response.context["totals"]["amount"] == expected


def test_date_filter_takes_whole_days(as_manager, many_payments):
    today = timezone.localdate()
    response = as_manager.get(f"/manager/payments/?date_from={today}&date_to={today}")
    assert response.context["totals"]["count"] == 1


def test_payment_list_runs_a_fixed_number_of_queries(
    as_manager, many_payments, django_assert_max_num_queries
):
    with django_assert_max_num_queries(9):
        response = as_manager.get("/manager/payments/")
    assert len(response.context["page"].object_list) == 25
    with django_assert_max_num_queries(9):
        as_manager.get("/manager/payments/?page=2")


def test_csv_export_has_the_filtered_list(as_manager, many_payments):
    response = as_manager.get("/manager/payments/export.csv?channel=terminal")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode().lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 10
    assert {r["channel"] for r in rows} == {"terminal"}
    assert rows[0]["amount"] == "100.00"


def test_client_users_cannot_reach_manager_payments(as_client, held_payment):
    payment = held_payment()
    assert as_client.get("/manager/payments/").status_code == 403
    assert (
        as_client.post(
            f"/manager/payments/{payment.pk}/void/", {"reason": "x", "confirm": "on"}
        ).status_code
        == 403
    )
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.AUTHORIZED


def test_flagged_payments_are_visible_to_managers(as_manager, held_payment, peer, gateway):
    payment = held_payment()
    bad = event("payment.captured", gateway.object(payment.gateway_payment_id))
    bad["payment"]["amount"] = "1.00"
    peer.notify(bad)
    listing = as_manager.get("/manager/payments/?status=flagged")
    assert [p.pk for p in listing.context["page"].object_list] == [payment.pk]
    detail = as_manager.get(f"/manager/payments/{payment.pk}/").content.decode()
    assert "amount 1.00 ≠ 1500.00" in detail


def test_detail_shows_the_full_timeline_of_signed_messages(as_manager, held_payment):
    payment = held_payment()
    response = as_manager.get(f"/manager/payments/{payment.pk}/")
    kinds = [(m.direction, m.kind) for m in response.context["timeline"]]
    assert kinds == [
        ("out", "card_request"),
        ("in", "card_response"),
        ("in", "notify"),
        ("out", "notify_response"),
    ]
    assert "X-Signature-Key" in response.content.decode()


# --- money-back --------------------------------------------------------------------------


def test_void_inside_the_window_returns_the_money_and_is_audited(
    as_manager, manager, held_payment, client_user, company, gateway
):
    payment = held_payment("1500.00")
    page = as_manager.get(f"/manager/payments/{payment.pk}/void/")
    assert "Return the held money" in page.content.decode()
    Notification.objects.all().delete()
    response = as_manager.post(
        f"/manager/payments/{payment.pk}/void/", {"reason": "Ошибочный платёж", "confirm": "on"}
    )
    assert response.status_code == 302
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.VOIDED
    assert client_balance(client=company) == Decimal("0.00")
    assert not OutboxRecord.objects.filter(type__startswith="payment.").exists()
    void_call = gateway.calls("POST", "/void")[0]
    assert void_call["body"] == '{"reason":"Ошибочный платёж"}'.encode()
    entry = AuditEntry.objects.get(action="payment.void")
    assert (entry.actor, entry.comment) == (manager, "Ошибочный платёж")
    assert (entry.before["status"], entry.after["status"]) == ("authorized", "voided")
    notice = Notification.objects.get(user=client_user)
    assert notice.title == "Your payment of 1,500.00\xa0₽ was returned to the payer"
    assert mail.outbox[-1].to == [client_user.email]


def test_money_in_notices_reads_as_on_every_page_in_each_users_language(
    as_manager, held_payment, client_user, colleague
):
    colleague.language = "ru"
    colleague.save(update_fields=["language"])
    payment = held_payment("1500.00")
    as_manager.post(f"/manager/payments/{payment.pk}/void/", {"reason": "Ошибка", "confirm": "on"})
    english = Notification.objects.get(user=client_user).title
    russian = Notification.objects.get(user=colleague).title
    assert "1,500.00\xa0₽" in english
    assert "1\xa0500,00\xa0₽" in russian
    assert "RUB" not in english + russian


def test_void_outside_the_window_is_refused_and_changes_nothing(as_manager, held_payment, gateway):
    payment = held_payment()
    Payment.objects.filter(pk=payment.pk).update(
        moneyback_until=timezone.now() - timedelta(minutes=1)
    )
    before = money_state()
    response = as_manager.post(
        f"/manager/payments/{payment.pk}/void/", {"reason": "late", "confirm": "on"}
    )
    assert response.status_code == 200
    assert "cannot be returned" in response.content.decode()
    assert money_state() == before
    assert gateway.calls("POST", "/void") == []


@pytest.mark.parametrize(
    "data", [{"reason": "", "confirm": "on"}, {"reason": "   ", "confirm": "on"}, {"reason": "why"}]
)
def test_void_needs_a_reason_and_a_confirmation(as_manager, held_payment, gateway, data):
    payment = held_payment()
    before = money_state()
    response = as_manager.post(f"/manager/payments/{payment.pk}/void/", data)
    assert response.status_code == 200
    assert money_state() == before
    assert gateway.calls("POST", "/void") == []


def test_void_when_gateway_is_down_changes_nothing(as_manager, held_payment, gateway):
    payment = held_payment()
    gateway.mode = "drop"
    before = money_state()
    response = as_manager.post(
        f"/manager/payments/{payment.pk}/void/", {"reason": "x", "confirm": "on"}
    )
    assert "not answering" in response.content.decode()
    assert money_state() == before


# --- refunds ------------------------------------------------------------------------------


def refund(as_manager, payment, amount, reason="Возврат по заявлению", key=None):
    return as_manager.post(
        f"/manager/payments/{payment.pk}/refund/",
        {"key": str(key or uuid.uuid4()), "amount": amount, "reason": reason, "confirm": "on"},
    )


def test_partial_then_full_refund(
    as_manager, manager, held_payment, peer, gateway, company, client_user
):
    payment = captured(held_payment, peer, gateway, "1500.00")
    Notification.objects.all().delete()
    assert refund(as_manager, payment, "500").status_code == 302
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == (PaymentStatus.CAPTURED, Decimal("500.00"))
    assert client_balance(client=company) == Decimal("1000.00")
    assert Notification.objects.get(user=client_user).title == (
        "500.00\xa0₽ of your payment of 1,500.00\xa0₽ was refunded"
    )
    assert refund(as_manager, payment, "1000.00").status_code == 302
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == (PaymentStatus.REFUNDED, Decimal("1500.00"))
    assert client_balance(client=company) == Decimal("0.00")
    assert list(LedgerEntry.objects.order_by("id").values_list("kind", "amount")) == [
        ("payment", Decimal("1500.00")),
        ("refund", Decimal("-500.00")),
        ("refund", Decimal("-1000.00")),
    ]
    assert [r.data["amount"] for r in OutboxRecord.objects.filter(type="payment.refunded")] == [
        "500.00",
        "1000.00",
    ]
    entries = AuditEntry.objects.filter(action="payment.refund").order_by("id")
    assert [(e.after["refund"], e.comment, e.actor) for e in entries] == [
        ("500.00", "Возврат по заявлению", manager),
        ("1000.00", "Возврат по заявлению", manager),
    ]


def test_refund_event_after_our_own_refund_changes_nothing(as_manager, held_payment, peer, gateway):
    payment = captured(held_payment, peer, gateway)
    refund(as_manager, payment, "300")
    before = money_state()
    peer.notify(event("payment.refunded", gateway.object(payment.gateway_payment_id)))
    assert money_state() == before


def test_submitting_the_same_refund_form_twice_refunds_once(
    as_manager, held_payment, peer, gateway, company
):
    payment = captured(held_payment, peer, gateway)
    key = uuid.uuid4()
    refund(as_manager, payment, "200", key=key)
    refund(as_manager, payment, "200", key=key)
    assert client_balance(client=company) == Decimal("1300.00")
    assert len(gateway.calls("POST", "/refund")) == 1


@pytest.mark.parametrize(
    ("amount", "reason", "message"),
    [
        ("1500.01", "x", "at most 1500.00"),
        ("0", "x", "more than 0"),
        ("-1", "x", "Enter the amount"),
        ("100", "", "This field is required."),
    ],
)
def test_bad_refund_is_refused_and_changes_nothing(
    as_manager, held_payment, peer, gateway, amount, reason, message
):
    payment = captured(held_payment, peer, gateway)
    before = money_state()
    response = refund(as_manager, payment, amount, reason)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert money_state() == before
    assert gateway.calls("POST", "/refund") == []


def test_held_payment_cannot_be_refunded(as_manager, held_payment, gateway):
    payment = held_payment()
    before = money_state()
    response = refund(as_manager, payment, "100")
    assert "cannot be refunded" in response.content.decode()
    assert money_state() == before


def test_flag_can_be_cleared_with_a_note(as_manager, held_payment, peer, gateway):
    payment = held_payment()
    bad = event("payment.captured", gateway.object(payment.gateway_payment_id))
    bad["payment"]["currency"] = "EUR"
    peer.notify(bad)
    response = as_manager.post(
        f"/manager/payments/{payment.pk}/flag/", {"note": "Checked with the gateway"}
    )
    assert response.status_code == 302
    payment.refresh_from_db()
    assert not payment.flagged
    assert AuditEntry.objects.get(action="payment.flag_clear").comment == "Checked with the gateway"

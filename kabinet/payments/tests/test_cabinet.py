"""The client cabinet: balance, held money, history, receipts, and paying."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template.defaultfilters import floatformat

from kabinet.payments.models import Channel, Payment, PaymentStatus

from .helpers import money_state

pytestmark = pytest.mark.django_db


def test_client_sees_balance_held_and_own_history(
    as_client, held_payment, company, other_company, peer
):
    held_payment("700.00")
    peer.terminal(
        {
            "action": "payment",
            "number": "100001",
            "amount": "500.00",
            "receipt": "111222",
            "date": "2026-11-24T10:00:00",
        }
    )
    peer.terminal(
        {
            "action": "payment",
            "number": "100002",
            "amount": "900.00",
            "receipt": "111333",
            "date": "2026-11-24T10:00:00",
        }
    )
    response = as_client.get("/cabinet/payments/")
    assert response.context["balance"] == Decimal("500.00")
    assert response.context["held"] == Decimal("700.00")
    rows = [(p.amount, p.way, p.status) for p in response.context["page"].object_list]
    assert rows == [
        (floatformat(Decimal("500"), "2g"), Channel.TERMINAL.label, PaymentStatus.ACCEPTED),
        (floatformat(Decimal("700"), "2g"), Channel.CARD.label, PaymentStatus.AUTHORIZED),
    ]
    page = response.content.decode()
    assert "500.00 ₽" in page and "700.00 ₽" in page
    # The card payment is held: not on the balance yet.
    assert [p.on_balance for p in response.context["page"].object_list] == ["500.00", ""]


def test_client_cannot_see_another_companys_payment(as_client, other_company, make_payment):
    theirs = make_payment(client=other_company, status=PaymentStatus.CAPTURED)
    assert as_client.get(f"/cabinet/payments/{theirs.pk}/").status_code == 404


def test_receipt_is_a_printable_page(as_client, make_payment, company):
    payment = make_payment(status=PaymentStatus.CAPTURED, captured_amount=Decimal("1500.00"))
    page = as_client.get(f"/cabinet/payments/{payment.pk}/").content.decode()
    assert str(payment.pk) in page
    assert "data-print" in page
    assert company.name in page


def test_history_hides_payments_that_never_started(as_client, make_payment):
    make_payment(status=PaymentStatus.FAILED)
    assert list(as_client.get("/cabinet/payments/").context["page"].object_list) == []


def test_history_runs_a_fixed_number_of_queries(
    as_client, make_payment, django_assert_max_num_queries
):
    for _ in range(25):
        make_payment(status=PaymentStatus.CAPTURED, captured_amount=Decimal("1500.00"))
    # The page also forecasts the balance (subscriptions, their prices, three months of
    # usage) and looks for an open promised payment: a fixed set of queries, whatever the
    # number of payments.
    with django_assert_max_num_queries(13):
        response = as_client.get("/cabinet/payments/")
    assert len(response.context["page"].object_list) == 20


def test_cabinet_pay_form_has_the_contract_and_goes_to_the_gateway(
    as_client, client_user, gateway, company
):
    assert "boss@baltlog.example" in as_client.get("/cabinet/pay/").content.decode()
    response = as_client.post("/cabinet/pay/", {"amount": "2500", "email": ""})
    payment = Payment.objects.get()
    assert response["Location"] == payment.payment_url
    assert (payment.client, payment.created_by, payment.amount) == (
        company,
        client_user,
        Decimal("2500.00"),
    )


def test_closed_contract_cannot_pay_from_the_cabinet(as_client, company, gateway):
    company.status = "closed"
    company.save()
    before = money_state()
    response = as_client.post("/cabinet/pay/", {"amount": "2500"})
    assert response.status_code == 200
    assert "closed" in response.content.decode()
    assert money_state() == before
    assert gateway.requests == []


def test_home_shows_the_balance_and_a_pay_button(as_client, peer, company):
    peer.terminal(
        {
            "action": "payment",
            "number": "100001",
            "amount": "1234.50",
            "receipt": "999000",
            "date": "2026-11-24T10:00:00",
        }
    )
    page = as_client.get("/cabinet/").content.decode()
    assert 'data-testid="home-balance"' in page
    assert "1,234.50 ₽" in page
    assert 'href="/cabinet/pay/"' in page


def test_managers_cannot_use_the_client_pages(as_manager):
    assert as_manager.get("/cabinet/payments/").status_code == 403

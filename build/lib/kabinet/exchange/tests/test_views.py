from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from kabinet.exchange.models import BillingDocument, ExchangePackage
from kabinet.exchange.outbox import outbox_record
from kabinet.exchange.selectors import client_balance
from kabinet.exchange.services import exchange_export

from .helpers import EMPTY_STATE, billing_state, import_bytes

pytestmark = pytest.mark.django_db


def _payment(contract: str, payment_id: str, amount: str, at: str, refund: bool = False) -> None:
    with transaction.atomic():
        if refund:
            outbox_record(
                type="payment.refunded",
                data={
                    "contract": contract,
                    "payment_id": payment_id,
                    "amount": amount,
                    "refunded_at": at,
                },
            )
        else:
            outbox_record(
                type="payment.captured",
                data={
                    "contract": contract,
                    "payment_id": payment_id,
                    "amount": amount,
                    "channel": "card",
                    "captured_at": at,
                },
            )


def test_balance_is_snapshot_plus_payments_after_it_minus_refunds(peer, company):
    _payment("100001", "P-1", "1000.00", "2026-10-31T10:00:00Z")  # in the snapshot
    import_bytes(peer.package([peer.snapshot("100001", "-490.00", "2026-11-01T00:00:00Z")]))
    _payment("100001", "P-2", "700.00", "2026-11-02T10:00:00Z")
    _payment("100001", "P-2", "200.00", "2026-11-03T10:00:00Z", refund=True)
    _payment("100002", "P-3", "5000.00", "2026-11-02T10:00:00Z")  # someone else's

    balance = client_balance(company)

    assert (balance.snapshot.balance, balance.payments_after, balance.refunds_after) == (
        Decimal("-490.00"),
        Decimal("700.00"),
        Decimal("200.00"),
    )
    assert balance.amount == Decimal("10.00")


def test_balance_without_snapshot_counts_every_site_payment(company):
    _payment("100001", "P-1", "300.00", "2026-10-31T10:00:00Z")

    assert client_balance(company).amount == Decimal("300.00")


def test_newest_snapshot_wins(peer, company):
    import_bytes(
        peer.package(
            [
                peer.snapshot("100001", "-100.00", "2026-11-02T00:00:00Z"),
                peer.snapshot("100001", "-900.00", "2026-11-01T00:00:00Z"),
            ]
        )
    )

    assert client_balance(company).amount == Decimal("-100.00")


def test_client_sees_balance_charges_usage_chart_and_documents(peer, company, as_client):
    import_bytes(
        peer.package(
            [
                peer.snapshot("100001", "-1234.50", "2026-11-01T00:00:00Z"),
                peer.charge("100001", "C-1", "490.00", "2026-10"),
                peer.usage("100001", "2026-10", "long_distance", 5, 42, "105.00"),
                peer.document("100001", "D-1"),
            ]
        )
    )

    response = as_client.get("/cabinet/billing/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="balance">-1,234.50\u00a0₽<' in html
    assert "<svg" in html and 'class="chart-long_distance"' in html
    assert "INV-D-1" in html
    assert "Monthly fee 2026-10" in html
    assert "<script" not in html.split("<main", 1)[1].split("</main>", 1)[0]


def test_client_downloads_own_document_pdf(peer, company, as_client):
    import_bytes(peer.package([peer.document("100001", "D-1", pdf=b"%PDF-own")]))
    document = BillingDocument.objects.get()

    response = as_client.get(f"/cabinet/billing/documents/{document.pk}/pdf/")

    assert response.status_code == 200
    assert response.content == b"%PDF-own"
    assert response["Content-Type"] == "application/pdf"


def test_client_cannot_see_other_company_document(peer, company, other_company, as_other_client):
    import_bytes(peer.package([peer.document("100001", "D-1")]))
    document = BillingDocument.objects.get()

    response = as_other_client.get(f"/cabinet/billing/documents/{document.pk}/pdf/")

    assert response.status_code == 404


def test_client_billing_page_shows_only_own_company(peer, company, other_company, as_other_client):
    import_bytes(
        peer.package(
            [
                peer.snapshot("100001", "-777.00", "2026-11-01T00:00:00Z"),
                peer.charge("100001", "C-SECRET", "490.00"),
                peer.document("100001", "D-SECRET"),
            ]
        )
    )

    html = as_other_client.get("/cabinet/billing/").content.decode()

    assert "777" not in html
    assert "D-SECRET" not in html
    assert "Monthly fee" not in html


def test_manager_downloads_any_document(peer, company, as_manager):
    import_bytes(peer.package([peer.document("100001", "D-1", pdf=b"%PDF-m")]))

    response = as_manager.get(
        f"/manager/exchange/documents/{BillingDocument.objects.get().pk}/pdf/"
    )

    assert response.content == b"%PDF-m"


def test_client_cannot_open_manager_exchange(as_client):
    assert as_client.get("/manager/exchange/").status_code == 403


def test_manager_exports_from_the_page(peer, as_manager, manager):
    response = as_manager.post("/manager/exchange/export/")

    package = ExchangePackage.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/manager/exchange/packages/{package.pk}/"
    assert (package.sequence, package.actor) == (1, manager)


def test_manager_uploads_a_package(peer, company, as_manager, manager):
    data = peer.package([peer.charge("100001", "C-1", "1.00")])

    response = as_manager.post(
        "/manager/exchange/import/", {"file": SimpleUploadedFile("b1.zip", data)}
    )

    package = ExchangePackage.objects.get()
    assert response["Location"] == f"/manager/exchange/packages/{package.pk}/"
    assert (package.status, package.actor, package.file_name) == ("imported", manager, "b1.zip")


def test_manager_sees_why_an_upload_was_rejected(peer, company, as_manager):
    data = peer.package([peer.charge("424242", "C-1", "1.00")])

    response = as_manager.post(
        "/manager/exchange/import/", {"file": SimpleUploadedFile("bad.zip", data)}, follow=True
    )

    html = response.content.decode()
    assert "line 1: unknown contract &#x27;424242&#x27;" in html
    assert "Nothing from this package was applied." in html
    assert billing_state() == EMPTY_STATE


def test_upload_without_file_changes_nothing(peer, as_manager):
    response = as_manager.post("/manager/exchange/import/", {})

    assert response.status_code == 400
    assert ExchangePackage.objects.count() == 0


def test_exchange_page_runs_fixed_queries(
    peer, company, other_company, as_manager, django_assert_max_num_queries
):
    def grow(n: int) -> None:
        for _ in range(n):
            exchange_export(actor=None)
        import_bytes(peer.package([], ack_through=1))
        import_bytes(peer.package([peer.charge("999", "X", "1.00")]))

    grow(3)
    with django_assert_max_num_queries(20) as small:
        assert as_manager.get("/manager/exchange/").status_code == 200
    grow(8)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert as_manager.get("/manager/exchange/").status_code == 200


def test_client_billing_page_runs_fixed_queries(
    peer, company, as_client, django_assert_max_num_queries
):
    def grow(n: int, start: int) -> None:
        records = [peer.snapshot("100001", "-1.00", "2026-11-01T00:00:00Z")]
        for i in range(start, start + n):
            period = f"20{20 + i // 12}-{i % 12 + 1:02d}"
            records += [
                peer.charge("100001", f"C-{i}", "490.00", period),
                peer.usage("100001", period, "local", 1, 2, "3.00"),
                peer.document("100001", f"D-{i}"),
            ]
            _payment("100001", f"P-{i}", "10.00", "2026-12-01T00:00:00Z")
        import_bytes(peer.package(records))

    grow(2, 0)
    with django_assert_max_num_queries(20) as small:
        assert as_client.get("/cabinet/billing/").status_code == 200
    grow(10, 2)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert as_client.get("/cabinet/billing/").status_code == 200


def test_reconciliation_shows_states_and_runs_fixed_queries(
    peer, company, as_manager, django_assert_max_num_queries
):
    _payment("100001", "P-1", "1000.00", "2026-10-31T10:00:00Z")
    exchange_export(actor=None)
    import_bytes(
        peer.package([peer.snapshot("100001", "1000.00", "2026-11-01T00:00:00Z")], ack_through=1)
    )
    _payment("100001", "P-2", "500.00", "2026-11-02T10:00:00Z")
    exchange_export(actor=None)
    _payment("100001", "P-3", "250.00", "2026-11-03T10:00:00Z")

    with django_assert_max_num_queries(20) as small:
        response = as_manager.get(f"/manager/exchange/clients/{company.pk}/")

    assert [(p.payment_id, p.state) for p in response.context["payments"]] == [
        ("P-1", "confirmed"),
        ("P-2", "exported"),
        ("P-3", "pending"),
    ]
    assert response.context["balance"].amount == Decimal("1750.00")
    for i in range(10):
        _payment("100001", f"Q-{i}", "1.00", "2026-11-04T10:00:00Z")
    with django_assert_max_num_queries(len(small.captured_queries)):
        as_manager.get(f"/manager/exchange/clients/{company.pk}/")

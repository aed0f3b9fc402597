"""Invoices a client issues itself: numbering, the bank QR code (decoded from the rendered
PDF), the billing record, bad input, incomplete requisites, e-mail, cancel, isolation."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pypdfium2
import pytest
import zxingcpp
from django.core import mail
from django.utils import timezone

from kabinet.accounting import services
from kabinet.accounting.models import Invoice, InvoiceCounter, InvoiceStatus
from kabinet.audit.models import AuditEntry
from kabinet.exchange.models import OutboxRecord
from kabinet.lib import bankqr
from kabinet.notifications.models import Notification
from kabinet.payments.models import Payment

pytestmark = pytest.mark.django_db

THIS_MONTH = timezone.localdate().replace(day=1)


def issue(http, amount: str = "2400.00", period: dt.date = THIS_MONTH):
    return http.post("/cabinet/invoices/new/", {"amount": amount, "period": period.isoformat()})


def state() -> tuple[int, int, int]:
    counter = InvoiceCounter.objects.first()
    return (
        Invoice.objects.count(),
        OutboxRecord.objects.filter(type="invoice.issued").count(),
        counter.last if counter else 0,
    )


def decode_pdf_qr(pdf: bytes) -> str:
    """Render the PDF's first page as a bank's app would see it printed, and read the QR."""
    document = pypdfium2.PdfDocument(pdf)
    image = document[0].render(scale=3).to_pil()
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1, "exactly one QR code on the invoice"
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    return found[0].text


def pdf_text(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(pdf)
    return "\n".join(page.get_textpage().get_text_range() for page in document)


def test_issue_numbers_records_and_redirects(as_client, company, client_user, settings):
    response = issue(as_client)
    invoice = Invoice.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/cabinet/invoices/{invoice.pk}/"
    year = timezone.localdate().year
    assert (invoice.number, invoice.sequence, invoice.amount) == (
        f"{year}-00001",
        1,
        Decimal("2400.00"),
    )
    assert invoice.vat_rate == "20" and invoice.vat_amount == Decimal("400.00")
    assert invoice.supplier["inn"] == settings.KABINET_OPERATOR_INN
    assert invoice.buyer == {
        "name": company.name,
        "inn": company.inn,
        "kpp": company.kpp,
        "address": company.legal_address,
        "contract": "100001",
    }
    assert f"№ {invoice.number}" in invoice.purpose and "№ 100001" in invoice.purpose
    record = OutboxRecord.objects.get(type="invoice.issued")
    assert record.data == {
        "contract": "100001",
        "invoice_id": str(invoice.pk),
        "number": invoice.number,
        "date": timezone.localdate().isoformat(),
        "amount": "2400.00",
        "purpose": invoice.purpose,
    }
    assert AuditEntry.objects.filter(action="invoice.issue", object_id=str(invoice.pk)).exists()
    issue(as_client, "100.00")
    assert list(Invoice.objects.order_by("sequence").values_list("sequence", flat=True)) == [1, 2]
    page = as_client.get(f"/cabinet/invoices/{invoice.pk}/").content.decode()
    assert 'data-testid="invoice-qr"' in page and "<svg" in page
    assert invoice.purpose in page


def test_the_pdf_carries_a_gost_qr_code_with_every_field(as_client, company, settings):
    issue(as_client, "12345.67")
    invoice = Invoice.objects.get()
    response = as_client.get(f"/cabinet/invoices/{invoice.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = decode_pdf_qr(response.content)
    assert text.startswith("ST00012|")
    fields = bankqr.parse(text)
    assert fields == {
        "Name": settings.KABINET_OPERATOR_LEGAL_NAME,
        "PersonalAcc": settings.KABINET_OPERATOR_ACCOUNT,
        "BankName": settings.KABINET_OPERATOR_BANK,
        "BIC": settings.KABINET_OPERATOR_BIC,
        "CorrespAcc": settings.KABINET_OPERATOR_CORR_ACCOUNT,
        "Sum": "1234567",
        "Purpose": invoice.purpose,
        "PayeeINN": settings.KABINET_OPERATOR_INN,
        "KPP": settings.KABINET_OPERATOR_KPP,
        "PayerINN": company.inn,
    }
    assert list(fields)[:5] == ["Name", "PersonalAcc", "BankName", "BIC", "CorrespAcc"]
    words = pdf_text(response.content)
    assert f"Счёт на оплату № {invoice.number}" in words
    assert "Двенадцать тысяч триста сорок пять рублей 67 копеек" in words
    assert "В том числе НДС (20%)" in words and "2 057,61" in words.replace("\xa0", " ")


def test_requisites_stay_as_issued(as_client, settings):
    issue(as_client)
    invoice = Invoice.objects.get()
    settings.KABINET_OPERATOR_BANK = "Другой банк"
    fields = bankqr.parse(
        decode_pdf_qr(as_client.get(f"/cabinet/invoices/{invoice.pk}/pdf/").content)
    )
    assert fields["BankName"] != "Другой банк"


@pytest.mark.parametrize(
    "amount,period",
    [
        ("99.99", THIS_MONTH),  # below KABINET_INVOICE_MIN
        ("10000000.01", THIS_MONTH),  # above KABINET_INVOICE_MAX
        ("12,3,4", THIS_MONTH),
        ("1e5", THIS_MONTH),
        ("", THIS_MONTH),
        ("500.00", THIS_MONTH.replace(year=THIS_MONTH.year - 1)),  # not an offered month
    ],
)
def test_bad_input_is_refused_and_takes_no_number(as_client, amount, period):
    before = state()
    response = issue(as_client, amount, period)
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    assert state() == before


def test_garbage_period_is_refused(as_client):
    response = as_client.post("/cabinet/invoices/new/", {"amount": "500", "period": "junk"})
    assert response.status_code == 400
    assert Invoice.objects.count() == 0


def test_incomplete_requisites_refuse_clearly_and_alert_managers_once(as_client, manager, settings):
    settings.KABINET_OPERATOR_BIC = ""
    settings.KABINET_OPERATOR_ACCOUNT = "40702810035500012346"  # a wrong key
    page = as_client.get("/cabinet/invoices/new/").content.decode()
    assert 'data-testid="requisites-missing"' in page
    before = state()
    response = issue(as_client)
    assert response.status_code == 503
    assert "bank details are not set up yet" in response.content.decode()
    assert state() == before
    issue(as_client)
    alerts = Notification.objects.filter(user=manager, title__contains="requisites")
    assert alerts.count() == 1
    assert "KABINET_OPERATOR_BIC" in alerts.get().body


def test_wrong_account_key_is_a_requisites_problem(settings):
    from kabinet.accounting import requisites

    assert requisites.problems() == []
    settings.KABINET_OPERATOR_ACCOUNT = "40702810035500012346"
    assert any("KABINET_OPERATOR_ACCOUNT" in p for p in requisites.problems())
    settings.KABINET_VAT_RATE = "twenty"
    assert any("KABINET_VAT_RATE" in p for p in requisites.problems())


def test_suggestion_is_the_debt_or_next_months_fees(company, subscribe, public_tariff, peer):
    from kabinet.exchange.tests.helpers import import_bytes

    subscribe(company, public_tariff)
    fees = services.monthly_fees(company, services.next_month(timezone.localdate()))
    assert fees > 0
    suggestion = services.invoice_suggestion(company)
    assert (suggestion.reason, suggestion.amount) == ("fees", max(fees, Decimal("100.00")))
    as_of = (timezone.now() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert import_bytes(peer.package([peer.snapshot("100001", "-3456.78", as_of)])).ok
    suggestion = services.invoice_suggestion(company)
    assert (suggestion.reason, suggestion.amount) == ("debt", Decimal("3456.78"))
    assert suggestion.period == THIS_MONTH


def test_vat_none_prints_without_vat(as_client, settings):
    settings.KABINET_VAT_RATE = "none"
    issue(as_client)
    invoice = Invoice.objects.get()
    assert invoice.vat_amount == 0 and "Без НДС" in invoice.purpose
    assert "Без налога (НДС)" in pdf_text(
        as_client.get(f"/cabinet/invoices/{invoice.pk}/pdf/").content
    )


def test_email_to_a_colleague_sends_the_pdf(as_client, client_user):
    issue(as_client)
    invoice = Invoice.objects.get()
    response = as_client.post(
        f"/cabinet/invoices/{invoice.pk}/email/",
        {"to": "accountant@baltlog.example", "note": "Оплатите, пожалуйста"},
    )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["accountant@baltlog.example"]
    assert message.reply_to == [client_user.email]
    assert invoice.number in message.subject and "Оплатите, пожалуйста" in message.body
    name, content, kind = message.attachments[0]
    assert name == f"invoice-{invoice.number}.pdf" and kind == "application/pdf"
    assert content.startswith(b"%PDF")
    bad = as_client.post(f"/cabinet/invoices/{invoice.pk}/email/", {"to": "not an address"})
    assert bad.status_code == 400 and len(mail.outbox) == 1


def test_cancel_only_an_open_invoice(as_client):
    issue(as_client)
    invoice = Invoice.objects.get()
    as_client.post(f"/cabinet/invoices/{invoice.pk}/cancel/")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CANCELLED and invoice.cancelled_at
    response = as_client.post(f"/cabinet/invoices/{invoice.pk}/cancel/", follow=True)
    assert "Only an invoice waiting for payment can be cancelled." in response.content.decode()
    with pytest.raises(TypeError):
        Invoice.objects.all().delete()


def test_a_closed_contract_issues_nothing(as_client, company):
    company.status = "closed"
    company.save()
    response = issue(as_client)
    assert response.status_code == 302 and Invoice.objects.count() == 0


def test_another_companys_invoices_do_not_exist(as_client, as_other_client, as_manager):
    issue(as_client)
    invoice = Invoice.objects.get()
    for url in (
        f"/cabinet/invoices/{invoice.pk}/",
        f"/cabinet/invoices/{invoice.pk}/pdf/",
    ):
        assert as_other_client.get(url).status_code == 404
    for url in (
        f"/cabinet/invoices/{invoice.pk}/email/",
        f"/cabinet/invoices/{invoice.pk}/cancel/",
    ):
        assert as_other_client.post(url, {"to": "x@example.com"}).status_code == 404
    assert invoice.number not in as_other_client.get("/cabinet/invoices/").content.decode()
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.ISSUED and len(mail.outbox) == 0
    # The manager sees it from the client's page.
    page = as_manager.get(f"/manager/accounting/clients/{invoice.client_id}/").content.decode()
    assert invoice.number in page
    assert as_manager.get(f"/manager/accounting/invoices/{invoice.pk}/pdf/").status_code == 200
    assert as_client.get(f"/manager/accounting/invoices/{invoice.pk}/pdf/").status_code == 403


def test_invoice_numbers_have_no_gaps_under_concurrency(transactional_db, company, client_user):
    """Eight clients press "Issue" at the same moment: eight numbers, 1 to 8, no gap, no
    duplicate (the counter row's lock serialises them; SQLite serialises whole writes)."""
    import threading

    from django.db import connection

    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        try:
            barrier.wait()
            for attempt in range(20):
                try:
                    services.invoice_issue(
                        client=company,
                        actor=client_user,
                        amount=Decimal("500.00"),
                        period=THIS_MONTH,
                    )
                    break
                except Exception as exc:  # SQLite: "database is locked" → retry, like a user
                    if "locked" not in str(exc) or attempt == 19:
                        raise
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    sequences = sorted(Invoice.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, 9))
    assert InvoiceCounter.objects.get().last == 8
    assert len(set(Invoice.objects.values_list("number", flat=True))) == 8


def test_the_invoice_json_record_is_exportable(as_client, peer):
    """The site→billing package carries invoice.issued as the spec lists it."""
    from kabinet.exchange.services import exchange_export
    from kabinet.exchange.tests.peer import read_site_package
    from kabinet.lib.signing import load_private_key

    issue(as_client)
    package = exchange_export(actor=None)
    from django.conf import settings as dj

    public = load_private_key(dj.KABINET_SITE_PRIVATE_KEY).public_key()
    _manifest, records = read_site_package(package.file.read(), public)
    invoice_records = [r for r in records if r["type"] == "invoice.issued"]
    assert len(invoice_records) == 1
    assert set(invoice_records[0]["data"]) == {
        "contract",
        "invoice_id",
        "number",
        "date",
        "amount",
        "purpose",
    }
    json.dumps(invoice_records[0])
    assert Payment.objects.count() == 0

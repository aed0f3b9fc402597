"""Queued work of the accounting app."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from kabinet.accounts.models import User

from .models import Invoice


@task()
def send_invoice_email(invoice_id: str, to: str, sender_id: int | None, note: str) -> None:
    """The invoice's PDF to a colleague, in the sender's language; a failure raises, and the
    task is retried by the worker."""
    # fpdf adds ~15 MiB to a process: a worker imports it only when it builds an invoice.
    from .documents import invoice_pdf

    invoice = Invoice.objects.select_related("client").get(pk=invoice_id)
    sender = User.objects.filter(pk=sender_id).first() if sender_id is not None else None
    language = getattr(sender, "language", "") or settings.LANGUAGE_CODE
    with translation.override(language):
        subject = _("Invoice № %(number)s from %(operator)s") % {
            "number": invoice.number,
            "operator": invoice.supplier.get("name", ""),
        }
        facts = {
            "number": invoice.number,
            "amount": f"{invoice.amount:.2f}",
            "contract": invoice.client.contract_number,
            "operator": invoice.supplier.get("name", ""),
        }
        lines = [
            _("%(who)s sent you invoice № %(number)s for %(amount)s ₽ (contract %(contract)s).")
            % {"who": sender.get_full_name() or sender.email, **facts}
            if sender
            else _(
                "%(operator)s issued invoice № %(number)s for %(amount)s ₽ (contract "
                "%(contract)s) automatically: the balance is running low."
            )
            % facts,
            _("The PDF is attached; its QR code fills in a payment in any Russian bank's app."),
        ]
        if note:
            lines += ["", note]
    message = EmailMessage(subject=subject, body="\n".join(lines), to=[to])
    if sender is not None:
        message.reply_to = [sender.email]
    message.attach(f"invoice-{invoice.number}.pdf", invoice_pdf(invoice), "application/pdf")
    message.send()

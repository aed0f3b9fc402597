"""The invoice's bank QR code (GOST R 56042-2014): on the invoice's page and in its PDF."""

from __future__ import annotations

import io

from kabinet.lib import bankqr

from .models import Invoice


def qr_payload(invoice: Invoice) -> str:
    """GOST R 56042-2014: the payee's requisites as the invoice stored them, the sum in
    kopecks and the purpose (which quotes the invoice's number and the contract)."""
    s = invoice.supplier
    fields = [
        ("Name", s["name"]),
        ("PersonalAcc", s["account"]),
        ("BankName", s["bank"]),
        ("BIC", s["bic"]),
        ("CorrespAcc", s["corr_account"]),
        ("Sum", bankqr.kopecks(invoice.amount)),
        ("Purpose", invoice.purpose),
        ("PayeeINN", s["inn"]),
    ]
    if s.get("kpp"):
        fields.append(("KPP", s["kpp"]))
    if invoice.buyer.get("inn"):
        fields.append(("PayerINN", invoice.buyer["inn"]))
    return bankqr.payload(fields)


# segno is imported by the two functions that draw a code, not at start-up.


def qr_png(invoice: Invoice, scale: int = 5) -> bytes:
    import segno

    out = io.BytesIO()
    segno.make(qr_payload(invoice), error="m", micro=False).save(
        out, kind="png", scale=scale, border=4
    )
    return out.getvalue()


def qr_svg(invoice: Invoice, title: str) -> str:
    import segno

    return segno.make(qr_payload(invoice), error="m", micro=False).svg_inline(
        scale=4, border=4, dark="#000", light="#fff", title=title
    )

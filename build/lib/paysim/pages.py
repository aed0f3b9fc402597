"""HTML pages: the payer's card page and an overview for demos. No external assets."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from html import escape

from paysim.clock import rfc3339, rfc3339_or_none
from paysim.db import Database
from paysim.money import format_amount
from paysim.payments import PENDING, Payment, normalize_card_number

_EXPIRY_RE = re.compile(r"(0[1-9]|1[0-2])\s*/\s*([0-9]{2})")
_CVC_RE = re.compile(r"[0-9]{3,4}")

STYLE = """
body { font-family: system-ui, sans-serif; background: #f3f4f6; color: #111827; margin: 0; }
main { max-width: 460px; margin: 40px auto; background: #fff; border-radius: 10px;
       padding: 28px 32px; box-shadow: 0 2px 12px rgba(0,0,0,.08); }
main.wide { max-width: 1100px; }
h1 { font-size: 1.3rem; margin: 0 0 4px; }
h2 { font-size: 1.05rem; margin: 28px 0 8px; }
.muted { color: #6b7280; font-size: .9rem; }
dl { display: grid; grid-template-columns: 110px 1fr; gap: 6px 12px; margin: 18px 0; }
dt { color: #6b7280; } dd { margin: 0; }
.amount { font-size: 1.4rem; font-weight: 600; }
label { display: block; font-size: .9rem; margin: 12px 0 4px; }
input { width: 100%; box-sizing: border-box; padding: 9px 10px; font-size: 1rem;
        border: 1px solid #d1d5db; border-radius: 6px; }
.row { display: flex; gap: 12px; } .row > div { flex: 1; }
button { margin-top: 20px; width: 100%; padding: 11px; font-size: 1rem; border: 0;
         border-radius: 6px; background: #2563eb; color: #fff; cursor: pointer; }
.errors { background: #fef2f2; color: #991b1b; border-radius: 6px; padding: 8px 12px; }
.hint { background: #eff6ff; border-radius: 6px; padding: 8px 12px; font-size: .85rem;
        margin-top: 18px; }
code { font-family: ui-monospace, monospace; white-space: nowrap; }
table { border-collapse: collapse; width: 100%; font-size: .82rem; }
th, td { text-align: left; padding: 5px 6px; border-bottom: 1px solid #e5e7eb; }
th { color: #6b7280; font-weight: 500; }
"""


@dataclass
class CardForm:
    card_number: str = ""
    expiry: str = ""
    cvc: str = ""
    holder: str = ""
    errors: list[str] = field(default_factory=list)
    normalized_number: str | None = None

    @classmethod
    def from_post(cls, data: Mapping[str, list[str]]) -> CardForm:
        def value(name: str) -> str:
            return (data.get(name) or [""])[0].strip()

        form = cls(value("card_number"), value("expiry"), value("cvc"), value("holder"))
        form.normalized_number = normalize_card_number(form.card_number)
        if form.normalized_number is None:
            form.errors.append("Enter the card number: 12 to 19 digits, spaces allowed.")
        if not _EXPIRY_RE.fullmatch(form.expiry):
            form.errors.append("Enter the expiry date as MM/YY.")
        if not _CVC_RE.fullmatch(form.cvc):
            form.errors.append("Enter the CVC: 3 or 4 digits.")
        if len(form.holder) > 100:
            form.errors.append("The card holder name is too long.")
        return form


def _page(title: str, content: str, *, wide: bool = False, refresh: int | None = None) -> bytes:
    meta = f'<meta http-equiv="refresh" content="{refresh}">' if refresh else ""
    main_class = ' class="wide"' if wide else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"{meta}<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><main{main_class}>{content}</main></body></html>"
    ).encode()


def _summary(payment: Payment, merchant_name: str) -> str:
    return (
        "<dl>"
        f"<dt>Merchant</dt><dd>{escape(merchant_name)}</dd>"
        f'<dt>Amount</dt><dd class="amount">{format_amount(payment.amount)} '
        f"{escape(payment.currency)}</dd>"
        f"<dt>Description</dt><dd>{escape(payment.description) or '—'}</dd>"
        f"<dt>Account</dt><dd>{escape(payment.account)}</dd>"
        "</dl>"
    )


def card_page(payment: Payment, merchant_name: str, form: CardForm | None = None) -> bytes:
    """The form the payer fills in; once the payment left `pending`, its outcome instead."""
    if payment.status != PENDING:
        return outcome_page(payment, merchant_name)
    form = form or CardForm()
    errors = ""
    if form.errors:
        items = "".join(f"<li>{escape(e)}</li>" for e in form.errors)
        errors = f'<div class="errors" role="alert"><ul>{items}</ul></div>'
    content = f"""
<h1>Card payment</h1>
<p class="muted">paysim — payment gateway simulator</p>
{_summary(payment, merchant_name)}
{errors}
<form method="post" action="/pay/{escape(payment.payment_id)}" autocomplete="off">
  <label for="card_number">Card number</label>
  <input id="card_number" name="card_number" inputmode="numeric" maxlength="23"
         placeholder="4111 1111 1111 1111" value="{escape(form.card_number)}" required>
  <div class="row">
    <div><label for="expiry">Expiry (MM/YY)</label>
      <input id="expiry" name="expiry" placeholder="12/30" maxlength="7"
             value="{escape(form.expiry)}" required></div>
    <div><label for="cvc">CVC</label>
      <input id="cvc" name="cvc" inputmode="numeric" maxlength="4" placeholder="123"
             value="{escape(form.cvc)}" required></div>
  </div>
  <label for="holder">Card holder</label>
  <input id="holder" name="holder" placeholder="IVAN IVANOV" value="{escape(form.holder)}">
  <button type="submit">Pay {format_amount(payment.amount)} {escape(payment.currency)}</button>
</form>
<div class="hint">Test cards: <code>4111 1111 1111 1111</code> is authorised,
<code>4000 0000 0000 0002</code> is declined. Any other number is declined too.
Any expiry and CVC will do.</div>
"""
    return _page("Card payment", content)


def outcome_page(payment: Payment, merchant_name: str) -> bytes:
    content = f"""
<h1>Payment {escape(payment.status)}</h1>
<p class="muted">paysim — payment gateway simulator</p>
{_summary(payment, merchant_name)}
<p><a href="{escape(payment.return_url)}">Return to {escape(merchant_name)}</a></p>
"""
    return _page(f"Payment {payment.status}", content)


def not_found_page() -> bytes:
    return _page("Not found", "<h1>Payment not found</h1><p>No such payment here.</p>")


def _table(headers: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def overview_page(db: Database, merchant_id: str, chaos: frozenset[str]) -> bytes:
    """Recent payments and notification deliveries, refreshed every few seconds."""
    with db.read() as conn:
        payments = conn.execute(
            "SELECT * FROM payments ORDER BY created_at DESC, rowid DESC LIMIT 50"
        ).fetchall()
        deliveries = conn.execute(
            "SELECT d.*, e.type, e.payment_id, e.note FROM deliveries d"
            " JOIN events e ON e.event_id = d.event_id ORDER BY d.id DESC LIMIT 50"
        ).fetchall()
    payment_rows = [
        [
            escape(rfc3339(p["created_at"])),
            f'<a href="/pay/{escape(p["payment_id"])}"><code>'
            f"{escape(p['payment_id'][:8])}</code></a>",
            f"<code>{escape(p['order_id'][:8])}</code>",
            escape(p["account"]),
            escape(p["amount"]),
            escape(p["captured_amount"]),
            escape(p["refunded_amount"]),
            f"<b>{escape(p['status'])}</b>",
            escape(rfc3339_or_none(p["capture_before"]) or "—"),
        ]
        for p in payments
    ]
    delivery_rows = [
        [
            str(d["id"]),
            escape(d["type"]),
            f"<code>{escape(d['payment_id'][:8])}</code>",
            escape(d["note"]),
            escape(d["url"]),
            f"<b>{escape(d['state'])}</b>",
            str(d["attempts"]),
            escape(rfc3339(d["next_attempt_at"])) if d["state"] == "pending" else "—",
            escape(d["last_error"]),
        ]
        for d in deliveries
    ]
    content = (
        "<h1>paysim</h1>"
        f'<p class="muted">merchant <code>{escape(merchant_id)}</code> · chaos: '
        f"{escape(', '.join(sorted(chaos)) or 'off')} · this page refreshes every 5 s</p>"
        "<h2>Payments</h2>"
        + _table(
            [
                "created",
                "payment",
                "order",
                "account",
                "amount",
                "captured",
                "refunded",
                "status",
                "capture before",
            ],
            payment_rows,
        )
        + "<h2>Notification deliveries</h2>"
        + _table(
            [
                "#",
                "event",
                "payment",
                "note",
                "notify_url",
                "state",
                "attempts",
                "next attempt",
                "last error",
            ],
            delivery_rows,
        )
    )
    return _page("paysim", content, wide=True, refresh=5)

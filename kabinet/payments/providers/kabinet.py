"""Kabinet's own signed gateway protocol (specs/payment-gateway.md), spoken by ``paysim``.

Its payment object already is the core's canonical form, so this provider only builds the
calls and signs them (``gateway.gateway_call``). The terminal protocol of the same spec is
served by ``views.pay_terminal`` through the core's ``terminal_handle``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kabinet.lib.money import format_money

from ..gateway import GatewayAnswer, encode_body, gateway_call
from . import PayMethod, Request, Started

if TYPE_CHECKING:
    from ..models import GatewayOperation, Payment

API_PAYMENTS = "/api/v1/payments"


def _path(payment: Payment, action: str = "") -> str:
    base = f"{API_PAYMENTS}/{quote(payment.gateway_payment_id, safe='')}"
    return f"{base}/{action}" if action else base


class KabinetProvider:
    code = "kabinet"
    label = gettext_lazy("Kabinet gateway")

    def methods(self) -> list[PayMethod]:
        return [
            PayMethod(
                provider=self.code,
                method="card",
                label=gettext_lazy("Bank card"),
                two_stage=True,
            )
        ]

    def create_request(self, payment: Payment, *, return_url: str, notify_url: str) -> Request:
        body = encode_body(
            {
                "merchant_id": settings.KABINET_MERCHANT_ID,
                "order_id": str(payment.pk),
                "account": payment.client.contract_number,
                "amount": format_money(payment.amount),
                "currency": payment.currency,
                "description": _("Payment under contract %(contract)s")
                % {"contract": payment.client.contract_number},
                "return_url": return_url,
                "notify_url": notify_url,
            }
        )
        return Request(API_PAYMENTS, body)

    def capture_request(self, payment: Payment, amount: Decimal) -> Request:
        return Request(_path(payment, "capture"), encode_body({"amount": format_money(amount)}))

    def void_request(self, payment: Payment, reason: str) -> Request:
        return Request(_path(payment, "void"), encode_body({"reason": reason}))

    def refund_request(self, payment: Payment, amount: Decimal, reason: str) -> Request:
        return Request(
            _path(payment, "refund"),
            encode_body({"amount": format_money(amount), "reason": reason}),
        )

    def send(self, operation: GatewayOperation) -> GatewayAnswer:
        return gateway_call(
            method="POST",
            path=operation.path,
            body=bytes(operation.body),
            idempotency_key=str(operation.key),
            payment=operation.payment,
        )

    def started(self, answer: GatewayAnswer) -> Started | None:
        data = answer.data if isinstance(answer.data, dict) else {}
        gateway_id, url = data.get("payment_id"), data.get("payment_url")
        usable = (
            answer.status == 201
            and isinstance(gateway_id, str)
            and 0 < len(gateway_id) <= 64
            and isinstance(url, str)
            and len(url) <= 2000
            and urlsplit(url).scheme in ("http", "https")
        )
        return Started(str(gateway_id), str(url)) if usable else None

    def fetch(self, payment: Payment) -> GatewayAnswer:
        return gateway_call(method="GET", path=_path(payment), payment=payment)


provider = KabinetProvider()

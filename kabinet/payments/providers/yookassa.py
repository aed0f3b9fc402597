"""YooKassa (API v3, https://yookassa.ru/developers/api) through its official Python SDK.

* Cards are paid in two stages, as Kabinet's hold / money-back model needs: created with
  ``capture: false``; ``waiting_for_capture`` is *held*; a manager's money-back is
  ``POST /payments/{id}/cancel``; at the end of the money-back window the core captures
  (``POST /payments/{id}/capture``), always before YooKassa's ``expires_at``.
* SBP (Faster Payments) cannot be held: it is created with ``capture: true`` and a ``qr``
  confirmation; its money-back is a refund, and /pay/ and the manager's page say so.
* Refunds: ``POST /refunds`` (full or partial), then the payment is read back for its
  ``refunded_amount``.
* Every POST carries an ``Idempotence-Key``: the key of the stored operation, the same on
  every retry, so YooKassa replays its first answer instead of acting twice.
* 54-FZ receipts (``KABINET_RECEIPTS=1``): each payment and refund carries a ``receipt``
  (customer e-mail, one item "communication services under contract N", ``vat_code``,
  ``payment_subject: service``, ``payment_mode: full_payment``) that YooKassa forwards to
  the operator's online cash register.

YooKassa's statuses become the core's canonical payment object here (``canonical``):
pending → pending; waiting_for_capture → authorized; succeeded → captured (refunded when
all of it came back); canceled → voided (by us), expired (``expired_on_capture``) or
declined (anything else).

The SDK itself is used in ``yookassa_sdk`` (a timeout on every request, the configuration
from settings), imported only when a call goes to YooKassa: the SDK is some 300 modules.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kabinet.lib.money import format_money

from ..gateway import GatewayAnswer, GatewayUnavailable, message_record
from ..models import Direction, MessageKind, OperationKind, SignatureCheck
from . import PayMethod, Request, Started

if TYPE_CHECKING:
    from ..models import GatewayOperation, Payment

logger = logging.getLogger(__name__)

CURRENCY = "RUB"


def _money(amount: Decimal) -> dict[str, str]:
    return {"value": format_money(amount), "currency": CURRENCY}


def _receipt(payment: Payment, amount: Decimal) -> dict[str, Any]:
    """A 54-FZ receipt of one item: communication services under the contract."""
    return {
        "customer": {"email": payment.email},
        "items": [
            {
                "description": _("Communication services under contract %(contract)s")
                % {"contract": payment.client.contract_number},
                "quantity": "1.00",
                "amount": _money(amount),
                "vat_code": settings.KABINET_YOOKASSA_VAT_CODE,
                "payment_subject": "service",
                "payment_mode": "full_payment",
            }
        ],
    }


def _amount(data: Any, name: str) -> str:
    value = data.get(name) if isinstance(data, dict) else None
    if isinstance(value, dict) and isinstance(value.get("value"), str):
        try:
            return format_money(Decimal(value["value"]))
        except ArithmeticError:
            return "invalid"
    return "0.00"


def canonical(data: dict[str, Any]) -> dict[str, Any]:
    """A YooKassa payment object (API reference: "Payment object") in the core's form."""
    status = data.get("status")
    amount = _amount(data, "amount")
    refunded = _amount(data, "refunded_amount")
    captured = "0.00"
    mapped = "pending"
    if status == "waiting_for_capture":
        mapped = "authorized"
    elif status == "succeeded":
        captured = amount
        mapped = "refunded" if refunded == amount else "captured"
    elif status == "canceled":
        details = data.get("cancellation_details") or {}
        reason = details.get("reason") if isinstance(details, dict) else None
        party = details.get("party") if isinstance(details, dict) else None
        if reason == "expired_on_capture":
            mapped = "expired"
        elif reason == "canceled_by_merchant" or party == "merchant":
            mapped = "voided"
        else:
            mapped = "declined"
    elif status != "pending":
        mapped = str(status)  # unknown: the core refuses the object and flags the payment
    saved = None
    method = data.get("payment_method")
    if isinstance(method, dict) and method.get("saved") is True:
        # "Payment method object": ``saved`` true means later payments may use its ``id``.
        saved = {"id": method.get("id"), "title": _card_title(method)}
    decline_reason = ""
    if status == "canceled" and mapped == "declined":
        details = data.get("cancellation_details") or {}
        found = details.get("reason") if isinstance(details, dict) else ""
        decline_reason = found if isinstance(found, str) else ""
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    amount_data = data.get("amount") if isinstance(data.get("amount"), dict) else {}
    return {
        "payment_id": data.get("id"),
        "order_id": (metadata or {}).get("payment_id", ""),
        "status": mapped,
        "amount": amount,
        "captured_amount": captured,
        "refunded_amount": refunded,
        "currency": (amount_data or {}).get("currency"),
        "capture_before": data.get("expires_at"),
        "yookassa_status": status,
        **({"saved_method": saved} if saved else {}),
        **({"decline_reason": decline_reason} if decline_reason else {}),
    }


def _card_title(method: dict[str, Any]) -> str:
    """How the client sees a saved method: YooKassa's ``title``, or the card's last digits."""
    title = method.get("title")
    if isinstance(title, str) and title.strip():
        return title.strip()[:100]
    card = method.get("card") if isinstance(method.get("card"), dict) else {}
    last4 = (card or {}).get("last4")
    return f"*{last4}" if isinstance(last4, str) and last4.isdigit() else ""


def _as_dict(response: Any) -> dict[str, Any]:
    """The SDK's response object as the JSON it came from."""
    return json.loads(json.dumps(dict(response), default=str))


class YooKassaProvider:
    code = "yookassa"
    label = gettext_lazy("YooKassa")

    def methods(self) -> list[PayMethod]:
        offered = []
        if "card" in settings.KABINET_YOOKASSA_METHODS:
            offered.append(
                PayMethod(self.code, "card", gettext_lazy("Bank card (YooKassa)"), two_stage=True)
            )
        if "sbp" in settings.KABINET_YOOKASSA_METHODS:
            offered.append(
                PayMethod(
                    self.code,
                    "sbp",
                    gettext_lazy("Faster Payments (SBP)"),
                    two_stage=False,
                    note=gettext_lazy(
                        "Paid at once from your bank's app: the money is not held first, so a "
                        "payment made by mistake comes back as a refund."
                    ),
                )
            )
        return offered

    # --- the calls the core stores ------------------------------------------------------

    def create_request(self, payment: Payment, *, return_url: str, notify_url: str) -> Request:
        sbp = payment.method == "sbp"
        body: dict[str, Any] = {
            "amount": _money(payment.amount),
            "capture": sbp,
            "payment_method_data": {"type": "sbp" if sbp else "bank_card"},
            "confirmation": {"type": "qr"}
            if sbp
            else {"type": "redirect", "return_url": return_url},
            "description": (
                _("Payment under contract %(contract)s")
                % {"contract": payment.client.contract_number}
            )[:128],
            "metadata": {"payment_id": str(payment.pk), "contract": payment.client.contract_number},
        }
        if payment.save_card and not sbp:
            # "Saving during a payment": the card is bound to the shop for autopayments.
            body["save_payment_method"] = True
        if settings.KABINET_RECEIPTS:
            body["receipt"] = _receipt(payment, payment.amount)
        return Request("/payments", _encode(body))

    # Cards the payer saved can be charged later without the payer ("Autopayments").
    saves_cards = True

    def charge_saved_request(self, payment: Payment, method_id: str) -> Request:
        """An autopayment: ``payment_method_id`` of the saved card, no confirmation.

        One stage (``capture: true``, as in YooKassa's own example): the money must reach
        the balance before the service stops, not after a money-back window, so a charge
        made in error comes back as a refund.
        """
        body: dict[str, Any] = {
            "amount": _money(payment.amount),
            "capture": True,
            "payment_method_id": method_id,
            "description": (
                _("Autopay under contract %(contract)s")
                % {"contract": payment.client.contract_number}
            )[:128],
            "metadata": {
                "payment_id": str(payment.pk),
                "contract": payment.client.contract_number,
                "autopay": "1",
            },
        }
        if settings.KABINET_RECEIPTS:
            body["receipt"] = _receipt(payment, payment.amount)
        return Request("/payments", _encode(body))

    def capture_request(self, payment: Payment, amount: Decimal) -> Request:
        path = f"/payments/{quote(payment.gateway_payment_id, safe='')}/capture"
        return Request(path, _encode({"amount": _money(amount)}))

    def void_request(self, payment: Payment, reason: str) -> Request:
        # YooKassa's cancel takes no reason; ours stays on the operation and in the audit log.
        return Request(f"/payments/{quote(payment.gateway_payment_id, safe='')}/cancel", b"")

    def refund_request(self, payment: Payment, amount: Decimal, reason: str) -> Request:
        body: dict[str, Any] = {
            "payment_id": payment.gateway_payment_id,
            "amount": _money(amount),
            "description": reason[:250],
        }
        if settings.KABINET_RECEIPTS and payment.email:
            body["receipt"] = _receipt(payment, amount)
        return Request("/refunds", _encode(body))

    # --- talking to YooKassa ------------------------------------------------------------

    def send(self, operation: GatewayOperation) -> GatewayAnswer:
        from .yookassa_sdk import YPayment, YRefund

        payment = operation.payment
        body = json.loads(bytes(operation.body) or b"null")
        key = str(operation.key)
        kind = operation.kind
        if kind == OperationKind.CREATE:
            return self._call(
                payment, "POST", operation.path, body, key, YPayment.create, body, key
            )
        gateway_id = payment.gateway_payment_id
        call: tuple[Any, ...]
        if kind == OperationKind.CAPTURE:
            call = (YPayment.capture, gateway_id, body, key)
        elif kind == OperationKind.VOID:
            call = (YPayment.cancel, gateway_id, key)
        else:
            answer = self._call(payment, "POST", "/refunds", body, key, YRefund.create, body, key)
            if answer.status != 200:
                return answer
            refund = answer.data["raw"]
            if refund.get("status") == "canceled":
                details = refund.get("cancellation_details") or {}
                return GatewayAnswer(
                    status=400,
                    data={"error": "refund_canceled", "message": str(details.get("reason", ""))},
                    message=answer.message,
                )
            if refund.get("status") != "succeeded":
                # Still being processed: the same key is sent again later and YooKassa
                # answers with the same refund, by then finished.
                raise GatewayUnavailable("the refund is still being processed")
            return self.fetch(payment)
        return self._call(payment, "POST", operation.path, body, key, *call)

    def fetch(self, payment: Payment) -> GatewayAnswer:
        from .yookassa_sdk import YPayment

        path = f"/payments/{payment.gateway_payment_id}"
        return self._call(
            payment, "GET", path, None, "", YPayment.find_one, payment.gateway_payment_id
        )

    def started(self, answer: GatewayAnswer) -> Started | None:
        data = answer.data.get("raw") if isinstance(answer.data, dict) else None
        if answer.status != 200 or not isinstance(data, dict):
            return None
        gateway_id = data.get("id")
        found = data.get("confirmation")
        confirmation: dict[str, Any] = found if isinstance(found, dict) else {}
        url = confirmation.get("confirmation_url") or confirmation.get("confirmation_data")
        if not (isinstance(gateway_id, str) and 0 < len(gateway_id) <= 64):
            return None
        if not (
            isinstance(url, str) and len(url) <= 2000 and urlsplit(url).scheme in ("http", "https")
        ):
            return None
        return Started(gateway_id, url, {"confirmation": confirmation.get("type", "")})

    def _call(
        self,
        payment: Payment,
        method: str,
        path: str,
        body: Any,
        key: str,
        function: Any,
        *args: Any,
    ) -> GatewayAnswer:
        """One SDK call, stored both ways like every message to a network; the answer's data
        is the canonical payment object (and the raw YooKassa object under ``raw``)."""
        import requests

        from .yookassa_sdk import REFUSALS, ApiError, configure

        headers = {"Idempotence-Key": key} if key else {}
        sent = message_record(
            direction=Direction.OUT,
            kind=MessageKind.CARD_REQUEST,
            method=method,
            target=path[:2000],
            headers=headers,
            body=json.dumps(body, ensure_ascii=False).encode() if body is not None else b"",
            signature_check=SignatureCheck.UNSIGNED,
            payment=payment,
            idempotency_key=key,
        )
        configure()
        status, data = 200, {}
        try:
            data = _as_dict(function(*args))
        except REFUSALS as exc:
            status, data = exc.HTTP_CODE, dict(exc.content or {})
        except (ApiError, requests.RequestException, AttributeError, ValueError, TypeError) as exc:
            # No answer, a 5xx, a 429, "still processing" (202) or something that is not
            # YooKassa's JSON: nothing is known, the same key is sent again later.
            reason = f"{type(exc).__name__}: {getattr(exc, 'content', None) or exc}"[:1000]
            type(sent).objects.filter(pk=sent.pk).update(outcome="no_answer", note=reason)
            logger.warning("yookassa %s %s: no usable answer (%s)", method, path, reason)
            raise GatewayUnavailable(reason) from exc
        message_record(
            direction=Direction.IN,
            kind=MessageKind.CARD_RESPONSE,
            method=method,
            target=path[:2000],
            status_code=status,
            headers={},
            body=json.dumps(data, ensure_ascii=False).encode(),
            signature_check=SignatureCheck.UNSIGNED,
            payment=payment,
            reply_to=sent,
            idempotency_key=key,
        )
        if status != 200:
            return GatewayAnswer(
                status=status,
                data={"error": data.get("code", ""), "message": data.get("description", "")},
                message=sent,
            )
        if path == "/refunds":  # a refund object, not a payment
            return GatewayAnswer(status=200, data={"raw": data}, message=sent)
        return GatewayAnswer(status=200, data={**canonical(data), "raw": data}, message=sent)


# --- notifications -------------------------------------------------------------------------

# YooKassa's notifications are not signed: only the event and the object's id are read from
# the body; what happened is read back from the API.
PAYMENT_EVENTS = ("payment.waiting_for_capture", "payment.succeeded", "payment.canceled")
REFUND_EVENTS = ("refund.succeeded",)


@dataclass(frozen=True)
class Notice:
    """What a notification names: the event and the payment it is about."""

    event: str
    gateway_payment_id: str

    @property
    def used(self) -> bool:
        return self.event in PAYMENT_EVENTS + REFUND_EVENTS


def read_notification(body: bytes) -> Notice:
    """The event and the payment's id of a notification body; ValueError if it is not one.

    Nothing else in the body is trusted: the caller reads the payment back from the API.
    """
    try:
        data = json.loads(body.decode("utf-8"))
        event, obj = data["event"], data["object"]
        if not isinstance(event, str) or not isinstance(obj, dict):
            raise TypeError
        gateway_id = obj.get("payment_id") if event in REFUND_EVENTS else obj.get("id")
        if not isinstance(gateway_id, str) or not 0 < len(gateway_id) <= 64:
            raise TypeError
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        raise ValueError("not a YooKassa notification") from None
    return Notice(event=event[:40], gateway_payment_id=gateway_id)


def _encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


provider = YooKassaProvider()

"""A stand-in for YooKassa's API v3, from its public API reference only, for tests without
the internet: the real SDK talks HTTP to it through ``KABINET_YOOKASSA_API_URL``.

Objects follow the reference's examples (yookassa.ru/developers/api):

* "Payment object" and "Create a payment" (``POST /payments``): ``id``, ``status``
  (pending → waiting_for_capture → succeeded, or canceled with ``cancellation_details``),
  ``paid``, ``amount {value, currency}``, ``confirmation`` (``redirect`` with
  ``confirmation_url``; ``qr`` with ``confirmation_data``), ``created_at``, ``expires_at``
  (holds), ``captured_at``, ``description``, ``metadata``, ``payment_method``,
  ``refundable``, ``refunded_amount``, ``test``, ``recipient``;
* "Capture a payment" (``POST /payments/{id}/capture``), "Cancel a payment"
  (``POST /payments/{id}/cancel``), "Payment information" (``GET /payments/{id}``);
* "Refund object" and "Create a refund" (``POST /refunds``);
* "Autopayments" ("Saving during a payment", "Making an autopayment"): a payment created
  with ``save_payment_method: true`` and paid by card has ``payment_method.saved: true``;
  a payment created with ``payment_method_id`` of a saved method needs no confirmation and
  is paid (or declined, with ``cancellation_details``) at once;
* "Idempotence": the same ``Idempotence-Key`` gets the first answer again;
* "Errors": ``{"type": "error", "id", "code", "description", "parameter"}`` with HTTP 400
  (invalid_request), 401 (invalid_credentials), 404 (not_found).
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _error(code: str, description: str, parameter: str = "") -> dict[str, Any]:
    error = {"type": "error", "id": str(uuid.uuid4()), "code": code, "description": description}
    if parameter:
        error["parameter"] = parameter
    return error


class YooKassaStandIn:
    def __init__(
        self, shop_id: str = "123456", secret_key: str = "test_secret", port: int = 0
    ) -> None:
        self.shop_id, self.secret_key = shop_id, secret_key
        self.payments: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.replies: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
        self.requests: list[dict[str, Any]] = []
        # Saved payment methods by id, and the reason to decline a charge of one of them.
        self.saved_methods: dict[str, dict[str, Any]] = {}
        self.declines: dict[str, str] = {}
        self.down = False  # answer 500 to everything
        # Where the payer's confirmation sends YooKassa's notification (the site's URL).
        self.notify_url = ""
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v3"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> YooKassaStandIn:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- what a payer or YooKassa does -----------------------------------------------------

    def pay(self, payment_id: str) -> dict[str, Any]:
        """The payer confirms: a card is held (waiting_for_capture), SBP succeeds at once."""
        with self.lock:
            payment = self.payments[payment_id]
            payment["paid"] = True
            method = payment["payment_method"]["type"]
            if payment["capture"]:
                payment.update(status="succeeded", captured_at=_now(), refundable=True)
                payment["refunded_amount"] = {"value": "0.00", "currency": "RUB"}
                payment["income_amount"] = dict(payment["amount"])
            else:
                expires = datetime.now(UTC) + timedelta(days=7)
                payment.update(
                    status="waiting_for_capture",
                    expires_at=expires.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                )
            if method == "bank_card":
                payment["payment_method"].update(
                    saved=bool(payment.get("save")),
                    title="Bank card *4444",
                    card={
                        "first6": "555555",
                        "last4": "4444",
                        "expiry_month": "07",
                        "expiry_year": "2030",
                        "card_type": "MasterCard",
                    },
                )
                if payment.get("save"):
                    saved = dict(payment["payment_method"])
                    self.saved_methods[saved["id"]] = saved
            return self._public(payment)

    def decline_charges(self, method_id: str, reason: str = "insufficient_funds") -> None:
        """Charges of this saved method are declined from now on (``""``: paid again)."""
        with self.lock:
            if reason:
                self.declines[method_id] = reason
            else:
                self.declines.pop(method_id, None)

    def add_paid(self, payment_id: str, order_id: str, amount: str) -> None:
        """A card payment already captured (succeeded) here, as if paid in one stage."""
        with self.lock:
            self.payments[payment_id] = {
                "id": payment_id,
                "status": "succeeded",
                "paid": True,
                "amount": {"value": amount, "currency": "RUB"},
                "income_amount": {"value": amount, "currency": "RUB"},
                "refunded_amount": {"value": "0.00", "currency": "RUB"},
                "created_at": _now(),
                "captured_at": _now(),
                "description": "",
                "metadata": {"payment_id": order_id},
                "payment_method": {"type": "bank_card", "id": payment_id, "saved": False},
                "recipient": {"account_id": self.shop_id, "gateway_id": "100700"},
                "refundable": True,
                "test": True,
                "capture": True,
            }

    def decline(self, payment_id: str) -> None:
        with self.lock:
            self.payments[payment_id].update(
                status="canceled",
                cancellation_details={"party": "payment_network", "reason": "insufficient_funds"},
            )

    def notification(self, event: str, payment_id: str, **changes: Any) -> bytes:
        """YooKassa's notification body ("Notifications" in the reference), optionally lying."""
        obj = dict(self._public(self.payments[payment_id]), **changes)
        return json.dumps({"type": "notification", "event": event, "object": obj}).encode()

    def calls(self, method: str, path_end: str = "") -> list[dict[str, Any]]:
        return [r for r in self.requests if r["method"] == method and r["path"].endswith(path_end)]

    # --- the API ------------------------------------------------------------------------------

    def checkout(self, method: str, payment_id: str) -> tuple[int, dict[str, str], bytes]:
        """The payer's confirmation page (stand-in for YooKassa's payment form)."""
        if payment_id not in self.payments:
            return 404, {"Content-Type": "text/plain"}, b"no such payment"
        payment = self.payments[payment_id]
        if method == "GET":
            page = (
                "<!doctype html><html lang=en><title>YooKassa stand-in</title>"
                f"<h1>Pay {payment['amount']['value']} RUB</h1>"
                f"<form method=post><button type=submit id=pay>Pay</button></form></html>"
            )
            return 200, {"Content-Type": "text/html; charset=utf-8"}, page.encode()
        paid = self.pay(payment_id)
        event = (
            "payment.succeeded" if paid["status"] == "succeeded" else "payment.waiting_for_capture"
        )
        if self.notify_url:
            import urllib.request

            request = urllib.request.Request(
                self.notify_url,
                data=self.notification(event, payment_id),
                headers={"Content-Type": "application/json"},
            )
            urllib.request.urlopen(request, timeout=10).read()
        return 302, {"Location": payment["confirmation"].get("return_url", "/")}, b""

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes):
        self.requests.append(
            {"method": method, "path": path, "headers": headers, "body": json.loads(body or b"{}")}
        )
        if self.down:
            return 500, _error("internal_server_error", "Internal server error")
        expected = (
            "Basic " + base64.b64encode(f"{self.shop_id}:{self.secret_key}".encode()).decode()
        )
        if headers.get("Authorization") != expected:
            return 401, _error("invalid_credentials", "Authentication by given credentials failed")
        if not path.startswith("/v3/"):
            return 404, _error("not_found", "Incorrect URL")
        path = path[3:]
        data = json.loads(body or b"{}")
        if method == "GET":
            with self.lock:
                kind, _slash, object_id = path.strip("/").partition("/")
                store = self.payments if kind == "payments" else self.refunds
                if object_id not in store:
                    return 404, _error("not_found", "Object not found")
                return 200, self._public(store[object_id])
        key = headers.get("Idempotence-Key", "")
        if not key:
            return 400, _error("invalid_request", "Idempotence key is missing", "Idempotence-Key")
        with self.lock:
            if (key, path) in self.replies:
                return self.replies[(key, path)]
            answer = self._post(path, data)
            if answer[0] < 500:
                self.replies[(key, path)] = answer
            return answer

    def _post(self, path: str, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        parts = path.strip("/").split("/")
        if parts == ["payments"]:
            return self._create(data)
        if parts == ["refunds"]:
            return self._refund(data)
        if len(parts) == 3 and parts[0] == "payments" and parts[1] in self.payments:
            payment = self.payments[parts[1]]
            if parts[2] == "capture":
                if payment["status"] != "waiting_for_capture":
                    return 400, _error("invalid_request", "Payment is not waiting for capture")
                amount = (data.get("amount") or payment["amount"])["value"]
                payment.update(
                    status="succeeded",
                    captured_at=_now(),
                    refundable=True,
                    amount={"value": amount, "currency": "RUB"},
                    refunded_amount={"value": "0.00", "currency": "RUB"},
                )
                return 200, self._public(payment)
            if parts[2] == "cancel":
                if payment["status"] not in ("waiting_for_capture", "pending"):
                    return 400, _error("invalid_request", "Payment cannot be canceled")
                payment.update(
                    status="canceled",
                    cancellation_details={"party": "merchant", "reason": "canceled_by_merchant"},
                )
                return 200, self._public(payment)
        return 404, _error("not_found", "Incorrect URL")

    def _create(self, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        amount = data.get("amount") or {}
        if not amount.get("value") or Decimal(amount["value"]) <= 0:
            return 400, _error("invalid_request", "Invalid amount", "amount")
        receipt = data.get("receipt")
        if receipt is not None and not (receipt.get("customer") or {}).get("email"):
            return 400, _error("invalid_request", "Receipt customer is missing", "receipt")
        payment_id = str(uuid.uuid4())
        if "payment_method_id" in data:
            return self._autopayment(payment_id, data, amount, receipt)
        method = (data.get("payment_method_data") or {}).get("type", "bank_card")
        confirmation = data.get("confirmation") or {}
        if confirmation.get("type") == "qr":
            confirmation = {
                "type": "qr",
                "confirmation_data": f"https://qr.nspk.ru/AS1A{payment_id[:8].upper()}?type=02",
            }
        else:
            confirmation = {
                "type": "redirect",
                "confirmation_url": f"{self.url}/checkout/{payment_id}",
                "return_url": confirmation.get("return_url", ""),
            }
        payment = {
            "id": payment_id,
            "status": "pending",
            "paid": False,
            "amount": {"value": amount["value"], "currency": amount.get("currency", "RUB")},
            "confirmation": confirmation,
            "created_at": _now(),
            "description": data.get("description", ""),
            "metadata": data.get("metadata") or {},
            "payment_method": {"type": method, "id": payment_id, "saved": False},
            "recipient": {"account_id": self.shop_id, "gateway_id": "100700"},
            "refundable": False,
            "test": True,
            "capture": bool(data.get("capture")),
            "receipt": receipt,
            "save": data.get("save_payment_method") is True and method == "bank_card",
        }
        self.payments[payment_id] = payment
        return 200, self._public(payment)

    def _autopayment(
        self, payment_id: str, data: dict[str, Any], amount: dict[str, Any], receipt: Any
    ) -> tuple[int, dict[str, Any]]:
        """A payment with a saved method: no confirmation, paid or declined at once."""
        saved = self.saved_methods.get(data.get("payment_method_id") or "")
        if saved is None:
            return 400, _error(
                "invalid_request", "Payment method not found or not saved", "payment_method_id"
            )
        payment: dict[str, Any] = {
            "id": payment_id,
            "status": "pending",
            "paid": False,
            "amount": {"value": amount["value"], "currency": amount.get("currency", "RUB")},
            "created_at": _now(),
            "description": data.get("description", ""),
            "metadata": data.get("metadata") or {},
            "payment_method": dict(saved),
            "recipient": {"account_id": self.shop_id, "gateway_id": "100700"},
            "refundable": False,
            "test": True,
            "capture": bool(data.get("capture")),
            "receipt": receipt,
        }
        reason = self.declines.get(saved["id"])
        if reason:
            payment.update(
                status="canceled",
                cancellation_details={"party": "payment_network", "reason": reason},
            )
        elif payment["capture"]:
            payment.update(status="succeeded", paid=True, captured_at=_now(), refundable=True)
            payment["refunded_amount"] = {"value": "0.00", "currency": "RUB"}
            payment["income_amount"] = dict(payment["amount"])
        else:
            expires = datetime.now(UTC) + timedelta(days=7)
            payment.update(
                status="waiting_for_capture",
                paid=True,
                expires_at=expires.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            )
        self.payments[payment_id] = payment
        return 200, self._public(payment)

    def _public(self, obj: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in obj.items() if k not in ("capture", "receipt", "save")}

    def _refund(self, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        payment = self.payments.get(data.get("payment_id", ""))
        if payment is None:
            return 404, _error("not_found", "Payment not found", "payment_id")
        if payment["status"] != "succeeded":
            return 400, _error("invalid_request", "Payment is not succeeded", "payment_id")
        value = Decimal(data["amount"]["value"])
        refunded = Decimal(payment.get("refunded_amount", {}).get("value", "0.00"))
        if value <= 0 or refunded + value > Decimal(payment["amount"]["value"]):
            return 400, _error("invalid_request", "Refund amount exceeds the payment", "amount")
        payment["refunded_amount"] = {"value": f"{refunded + value:.2f}", "currency": "RUB"}
        refund = {
            "id": str(uuid.uuid4()),
            "payment_id": payment["id"],
            "status": "succeeded",
            "created_at": _now(),
            "amount": {"value": f"{value:.2f}", "currency": "RUB"},
            "description": data.get("description", ""),
            "receipt": data.get("receipt"),
        }
        self.refunds[refund["id"]] = refund
        return 200, {k: v for k, v in refund.items() if k != "receipt"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if self.path.startswith("/v3/checkout/"):
                    status, page_headers, page = standin.checkout(method, self.path.split("/")[3])
                    self.send_response(status)
                    for name, value in page_headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(page)))
                    self.end_headers()
                    self.wfile.write(page)
                    return
                headers = {k: v for k, v in self.headers.items()}
                status, data = standin.handle(method, self.path.split("?")[0], headers, body)
                payload = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


def main(argv: list[str] | None = None) -> None:
    """Serve the stand-in for the demo: ``python -m kabinet.payments.tests.yookassa_standin``."""
    import argparse
    import time

    parser = argparse.ArgumentParser(description="A YooKassa API v3 stand-in for the demo.")
    parser.add_argument("--port", type=int, default=8002)
    parser.add_argument("--shop-id", default="demo-shop")
    parser.add_argument("--secret-key", default="demo-secret")
    parser.add_argument("--notify-url", default="", help="the site's YooKassa notification URL")
    args = parser.parse_args(argv)
    standin = YooKassaStandIn(args.shop_id, args.secret_key, port=args.port)
    standin.notify_url = args.notify_url
    standin.start()
    print(f"YooKassa stand-in at {standin.url} (shop {args.shop_id})", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        standin.stop()


if __name__ == "__main__":
    main()

"""An independent gateway, written from specs/payment-gateway.md alone.

It shares no code with the website or with paysim: its own Ed25519 signing with
``cryptography``, its own message formats, its own card API. Tests use it two ways:

- ``SitePeer`` drives the website's endpoints (``/pay/notify/``, ``/pay/terminal/``) as
  the gateway would, through Django's test client, and checks the signed answers;
- ``FakeGateway`` is the gateway the website calls: a real HTTP server on port 0.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

SKEW = 300


# --- keys and signatures ------------------------------------------------------------------


def raw_key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass
class PeerKey:
    private: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def key_id(self) -> str:
        return raw_key_id(self.public)

    def write(self, directory: Path, name: str) -> tuple[Path, Path]:
        directory.mkdir(parents=True, exist_ok=True)
        private_path, public_path = directory / f"{name}.pem", directory / f"{name}.pub.pem"
        private_path.write_bytes(
            self.private.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        public_path.write_bytes(
            self.public.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        return private_path, public_path

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self.private.sign(message)).decode()


def load_public(path: Path) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(path.read_bytes())
    assert isinstance(key, Ed25519PublicKey)
    return key


def signed_headers(
    key: PeerKey, method: str, target: str, body: bytes, *, timestamp: int | None = None
) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    message = ts.encode() + b"\n" + method.encode() + b"\n" + target.encode() + b"\n" + body
    return {
        "X-Signature-Key": key.key_id,
        "X-Signature-Timestamp": ts,
        "X-Signature": key.sign(message),
    }


def response_headers(key: PeerKey, request_signature: str, body: bytes) -> dict[str, str]:
    ts = str(int(time.time()))
    message = ts.encode() + b"\nRESPONSE\n" + request_signature.encode() + b"\n" + body
    return {
        "X-Signature-Key": key.key_id,
        "X-Signature-Timestamp": ts,
        "X-Signature": key.sign(message),
    }


def check_signature(
    trusted: dict[str, Ed25519PublicKey], headers: Any, message_for: Any
) -> str | None:
    """None when the headers carry a valid signature; else the name of the failed check."""
    kid = headers.get("X-Signature-Key")
    ts = headers.get("X-Signature-Timestamp")
    signature = headers.get("X-Signature")
    if not kid or not ts or not signature:
        return "missing_header"
    if kid not in trusted:
        return "unknown_key"
    if not ts.isdigit() or abs(int(ts) - time.time()) > SKEW:
        return "timestamp"
    try:
        trusted[kid].verify(base64.b64decode(signature), message_for(ts))
    except (InvalidSignature, ValueError):
        return "bad_signature"
    return None


def response_check(
    site_public: Ed25519PublicKey, headers: Any, request_signature: str, body: bytes
) -> str | None:
    return check_signature(
        {raw_key_id(site_public): site_public},
        headers,
        lambda ts: f"{ts}\nRESPONSE\n{request_signature}\n".encode() + body,
    )


# --- the peer driving the website ----------------------------------------------------------


@dataclass
class Reply:
    status: int
    body: bytes
    headers: Any
    trusted_check: str | None  # None: the answer is signed by the site and tied to our request

    @property
    def trusted(self) -> bool:
        return self.trusted_check is None

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class TerminalReply(Reply):
    code: int = 99
    authcode: str = ""
    date: str = ""
    message: str = ""


class SitePeer:
    """The gateway's side of the conversation, sending to the website's endpoints."""

    def __init__(self, http: Any, key: PeerKey, site_public: Ed25519PublicKey) -> None:
        self.http = http
        self.key = key
        self.site_public = site_public

    def send(
        self,
        method: str,
        target: str,
        body: bytes = b"",
        *,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
        sign_target: str | None = None,
        sign_body: bytes | None = None,
        key: PeerKey | None = None,
        timestamp: int | None = None,
    ) -> Reply:
        """Send one signed request; the ``sign_*`` overrides forge a mismatch on purpose."""
        signature = signed_headers(
            key or self.key,
            method,
            sign_target if sign_target is not None else target,
            sign_body if sign_body is not None else body,
            timestamp=timestamp,
        )
        all_headers = {**signature, **(headers or {})}
        all_headers = {k: v for k, v in all_headers.items() if v is not None}
        if method == "GET":
            response = self.http.get(target, headers=all_headers)
        else:
            response = self.http.generic(
                method, target, body, content_type=content_type, headers=all_headers
            )
        request_signature = all_headers.get("X-Signature", "")
        check = response_check(self.site_public, response, request_signature, response.content)
        return Reply(response.status_code, response.content, response, check)

    def notify(self, event: dict[str, Any], **options: Any) -> Reply:
        body = json.dumps(event).encode()
        return self.send("POST", "/pay/notify/", body, **options)

    def terminal(
        self, fields: dict[str, str], method: str = "POST", **options: Any
    ) -> TerminalReply:
        encoded = urlencode(fields)
        if method == "GET":
            reply = self.send("GET", f"/pay/terminal/?{encoded}", **options)
        else:
            reply = self.send(
                "POST",
                "/pay/terminal/",
                encoded.encode(),
                content_type="application/x-www-form-urlencoded",
                **options,
            )
        root = ET.fromstring(reply.body)
        assert root.tag == "response", reply.body
        return TerminalReply(
            status=reply.status,
            body=reply.body,
            headers=reply.headers,
            trusted_check=reply.trusted_check,
            code=int(root.findtext("code") or "99"),
            authcode=root.findtext("authcode") or "",
            date=root.findtext("date") or "",
            message=root.findtext("message") or "",
        )


def wire_now(offset: timedelta = timedelta(0)) -> str:
    return (datetime.now(UTC) + offset).strftime("%Y-%m-%dT%H:%M:%SZ")


def event(event_type: str, payment: dict[str, Any], event_id: str | None = None) -> dict:
    return {
        "event_id": event_id or str(uuid.uuid4()),
        "type": event_type,
        "payment": payment,
        "occurred_at": wire_now(),
    }


# --- the gateway the website calls ----------------------------------------------------------


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


class FakeGateway:
    """The card API on a real local HTTP server; state in memory, for one test."""

    HOLD = timedelta(days=3)

    def __init__(self, key: PeerKey, site_public: Ed25519PublicKey, merchant: str) -> None:
        self.key = key
        self.trusted = {raw_key_id(site_public): site_public}
        self.merchant = merchant
        self.payments: dict[str, dict[str, Any]] = {}
        self.idempotency: dict[str, tuple[str, int, bytes]] = {}
        self.requests: list[dict[str, Any]] = []
        # "ok", "unsigned" (answers without a signature), "forged" (signed by a stranger),
        # "drop" (closes the connection without an answer).
        self.mode = "ok"
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> FakeGateway:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # What the payer and the hold do at the gateway.

    def object(self, payment_id: str) -> dict[str, Any]:
        p = self.payments[payment_id]
        return {
            "payment_id": payment_id,
            "order_id": p["order_id"],
            "status": p["status"],
            "amount": _money(p["amount"]),
            "captured_amount": _money(p["captured"]),
            "refunded_amount": _money(p["refunded"]),
            "currency": p["currency"],
            "capture_before": p["capture_before"],
            "updated_at": wire_now(),
        }

    def by_order(self, order_id: Any) -> str:
        return next(pid for pid, p in self.payments.items() if p["order_id"] == str(order_id))

    def authorize(self, payment_id: str) -> dict[str, Any]:
        p = self.payments[payment_id]
        p["status"] = "authorized"
        p["capture_before"] = wire_now(self.HOLD)
        return event("payment.authorized", self.object(payment_id))

    def decline(self, payment_id: str) -> dict[str, Any]:
        self.payments[payment_id]["status"] = "declined"
        return event("payment.declined", self.object(payment_id))

    def expire(self, payment_id: str) -> dict[str, Any]:
        self.payments[payment_id]["status"] = "expired"
        return event("payment.expired", self.object(payment_id))

    def calls(self, method: str, suffix: str = "") -> list[dict[str, Any]]:
        return [r for r in self.requests if r["method"] == method and r["path"].endswith(suffix)]

    # The API.

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                gateway.requests.append(
                    {
                        "method": method,
                        "path": self.path,
                        "headers": dict(self.headers.items()),
                        "body": body,
                    }
                )
                if gateway.mode == "drop":
                    self.close_connection = True
                    return
                failed = check_signature(
                    gateway.trusted,
                    self.headers,
                    lambda ts: f"{ts}\n{method}\n{self.path}\n".encode() + body,
                )
                if failed:
                    status, answer = 403, {"error": "signature_invalid", "check": failed}
                else:
                    with gateway.lock:
                        status, answer_bytes = gateway.handle(
                            method, self.path, self.headers.get("Idempotency-Key"), body
                        )
                    answer = None
                if answer is not None:
                    answer_bytes = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer_bytes)))
                request_signature = self.headers.get("X-Signature") or ""
                if gateway.mode == "ok":
                    signature = response_headers(gateway.key, request_signature, answer_bytes)
                elif gateway.mode == "forged":
                    signature = response_headers(PeerKey(), request_signature, answer_bytes)
                else:
                    signature = {}
                for name, value in signature.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(answer_bytes)

        return Handler

    def handle(self, method: str, path: str, key: str | None, body: bytes) -> tuple[int, bytes]:
        parts = path.strip("/").split("/")  # api v1 payments [id [action]]
        if parts[:3] != ["api", "v1", "payments"]:
            return 404, b'{"error": "not_found"}'
        if method == "GET":
            if len(parts) != 4 or parts[3] not in self.payments:
                return 404, b'{"error": "not_found"}'
            return 200, json.dumps(self.object(parts[3])).encode()
        if not key:
            return 400, b'{"error": "idempotency_key_required"}'
        fingerprint = hashlib.sha256(f"{method} {path}".encode() + body).hexdigest()
        if key in self.idempotency:
            first_fingerprint, status, answer = self.idempotency[key]
            if first_fingerprint != fingerprint:
                return 409, b'{"error": "idempotency_conflict"}'
            return status, answer
        status, data = self._act(parts[3:], json.loads(body or b"{}"))
        answer = json.dumps(data).encode()
        self.idempotency[key] = (fingerprint, status, answer)
        return status, answer

    def _act(self, rest: list[str], data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if not rest:
            if data.get("merchant_id") != self.merchant or data.get("currency") != "RUB":
                return 400, {"error": "invalid_request"}
            payment_id = f"gw-{uuid.uuid4()}"
            self.payments[payment_id] = {
                "order_id": data["order_id"],
                "account": data["account"],
                "amount": Decimal(data["amount"]),
                "captured": Decimal("0"),
                "refunded": Decimal("0"),
                "currency": data["currency"],
                "status": "pending",
                "capture_before": None,
                "request": data,
            }
            return 201, {
                "payment_id": payment_id,
                "status": "pending",
                "payment_url": f"{self.url}/card/{payment_id}",
            }
        payment_id, action = rest[0], rest[1] if len(rest) > 1 else ""
        p = self.payments.get(payment_id)
        if p is None:
            return 404, {"error": "not_found"}
        if action == "capture":
            if p["status"] != "authorized":
                return 409, {"error": "invalid_state", "message": f"payment is {p['status']}"}
            amount = Decimal(data["amount"])
            if amount > p["amount"]:
                return 400, {"error": "invalid_request", "field": "amount"}
            p["status"], p["captured"] = "captured", amount
        elif action == "void":
            if p["status"] != "authorized":
                return 409, {"error": "invalid_state", "message": f"payment is {p['status']}"}
            if not data.get("reason"):
                return 400, {"error": "invalid_request", "field": "reason"}
            p["status"] = "voided"
        elif action == "refund":
            if p["status"] != "captured":
                return 409, {"error": "invalid_state", "message": f"payment is {p['status']}"}
            amount = Decimal(data["amount"])
            if amount > p["captured"] - p["refunded"]:
                return 400, {"error": "invalid_request", "field": "amount"}
            p["refunded"] += amount
            if p["refunded"] == p["captured"]:
                p["status"] = "refunded"
        else:
            return 404, {"error": "not_found"}
        return 200, self.object(payment_id)

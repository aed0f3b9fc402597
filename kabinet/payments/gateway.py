"""The website's client for the gateway's card API: signs each call, verifies each answer,
and stores both. An unsigned or badly signed answer counts as no answer at all."""

from __future__ import annotations

import http.client
import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from kabinet.core.security import security_event

from . import wire
from .models import Direction, GatewayMessage, MessageKind, Payment, SignatureCheck

logger = logging.getLogger(__name__)

MAX_ANSWER_BYTES = 1024 * 1024


class GatewayUnavailable(Exception):
    """No trustworthy answer: network failure, timeout, or an unsigned/badly signed answer."""


@dataclass(frozen=True)
class GatewayAnswer:
    status: int
    data: Any
    message: GatewayMessage

    @property
    def error_code(self) -> str:
        return self.data.get("error", "") if isinstance(self.data, dict) else ""


def encode_body(payload: dict[str, Any] | None) -> bytes:
    if payload is None:
        return b""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _send(method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, dict, bytes]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OSError(f"unsupported gateway URL {url!r}")
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    conn = connection_class(parts.hostname, parts.port, timeout=settings.KABINET_GATEWAY_TIMEOUT)
    try:
        conn.request(method, target, body=body or None, headers=headers)
        response = conn.getresponse()
        payload = response.read(MAX_ANSWER_BYTES + 1)
        if len(payload) > MAX_ANSWER_BYTES:
            raise OSError("the gateway's answer is too large")
        return response.status, dict(response.getheaders()), payload
    except http.client.HTTPException as exc:
        raise OSError(f"HTTP error: {exc}") from exc
    finally:
        conn.close()


def message_record(**fields: Any) -> GatewayMessage:
    """Store one message: outside a transaction one INSERT, durable at once; inside one it
    shares that transaction's fate, so the caller stores again what a rollback took."""
    return GatewayMessage.objects.create(**fields)


def gateway_call(
    *,
    method: str,
    path: str,
    payload: dict[str, Any] | None = None,
    body: bytes | None = None,
    idempotency_key: str = "",
    payment: Payment | None = None,
) -> GatewayAnswer:
    """Make one signed call; raises GatewayUnavailable when there is no trustworthy answer.

    ``path`` is relative to the API root (``/api/v1/payments...``); ``body`` (exact bytes)
    wins over ``payload`` so that a retry sends what the first try sent.
    """
    base = settings.KABINET_GATEWAY_URL.rstrip("/")
    url = base + path
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    raw = body if body is not None else encode_body(payload)
    headers = {"Accept": "application/json"}
    if raw:
        headers["Content-Type"] = "application/json; charset=utf-8"
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    headers.update(wire.sign_request(method, target, raw))
    request_signature = headers[wire.HEADER_SIGNATURE]
    sent = message_record(
        direction=Direction.OUT,
        kind=MessageKind.CARD_REQUEST,
        method=method,
        target=target,
        headers=headers,
        body=raw,
        signature_check=SignatureCheck.SIGNED,
        key_id=headers[wire.HEADER_KEY],
        payment=payment,
        idempotency_key=idempotency_key,
    )
    try:
        status, answer_headers, answer = _send(method, url, headers, raw)
    except OSError as exc:
        GatewayMessage.objects.filter(pk=sent.pk).update(
            outcome="no_answer", note=f"{type(exc).__name__}: {exc}"[:1000]
        )
        logger.warning("gateway %s %s: no answer (%s)", method, target, exc)
        raise GatewayUnavailable(str(exc)) from exc
    check = wire.verify_response(answer_headers, request_signature, answer)
    received = message_record(
        direction=Direction.IN,
        kind=MessageKind.CARD_RESPONSE,
        method=method,
        target=target,
        status_code=status,
        headers=answer_headers,
        body=answer,
        signature_check=check.check,
        key_id=check.key_id,
        payment=payment,
        reply_to=sent,
        idempotency_key=idempotency_key,
        outcome="" if check.ok else "untrusted",
        note=check.detail,
    )
    if not check.ok:
        security_event("gateway_answer_signature_failed", None, check=check.check, target=target)
        raise GatewayUnavailable(f"untrusted answer: {check.detail}")
    try:
        data = json.loads(answer.decode("utf-8")) if answer else None
    except (UnicodeDecodeError, ValueError) as exc:
        raise GatewayUnavailable("the gateway's answer is not JSON") from exc
    return GatewayAnswer(status=status, data=data, message=received)

"""The card protocol's JSON API (website -> gateway), after the request signature checked out."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from paysim.payments import Gateway, InvalidRequestError, PaymentError
from paysim.signing import get_header

IDEMPOTENCY_HEADER = "Idempotency-Key"
_ROUTE_RE = re.compile(r"/api/v1/payments(?:/([^/]+)(?:/(capture|void|refund))?)?/?")


@dataclass(frozen=True)
class ApiResponse:
    status: int
    body: bytes


def json_response(status: int, payload: Mapping[str, Any]) -> ApiResponse:
    return ApiResponse(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"))


def error_response(status: int, code: str, message: str, **extra: Any) -> ApiResponse:
    return json_response(status, {"error": code, "message": message, **extra})


Operation = Callable[[sqlite3.Connection, object], tuple[int, Mapping[str, Any]]]


def handle_api(
    gateway: Gateway, method: str, target: str, headers: Mapping[str, str], body: bytes
) -> ApiResponse:
    """Route one verified API request; `target` is the path?query as sent."""
    match = _ROUTE_RE.fullmatch(urlsplit(target).path)
    if match is None:
        return error_response(404, "not_found", "no such API endpoint")
    payment_id, action = match.groups()

    if payment_id is None:
        if method != "POST":
            return error_response(405, "method_not_allowed", "use POST to create a payment")

        def operation(conn: sqlite3.Connection, data: object) -> tuple[int, Mapping[str, Any]]:
            return 201, gateway.create(conn, data)

    elif action is None:
        if method != "GET":
            return error_response(405, "method_not_allowed", "use GET to read a payment")
        return _read(gateway, payment_id)
    else:
        if method != "POST":
            return error_response(405, "method_not_allowed", f"use POST to {action}")
        service = getattr(gateway, action)

        def operation(conn: sqlite3.Connection, data: object) -> tuple[int, Mapping[str, Any]]:
            return 200, service(conn, payment_id, data).to_wire()

    return _idempotent(gateway, method, target, headers, body, operation)


def _read(gateway: Gateway, payment_id: str) -> ApiResponse:
    try:
        # A write transaction: reading may apply a lapsed hold and queue `payment.expired`.
        with gateway.db.write() as conn:
            payment = gateway.get(conn, payment_id)
    except PaymentError as exc:
        return json_response(exc.http_status, exc.body())
    gateway.outbox.notify_dispatcher()
    return json_response(200, payment.to_wire())


def _idempotent(
    gateway: Gateway,
    method: str,
    target: str,
    headers: Mapping[str, str],
    body: bytes,
    operation: Operation,
) -> ApiResponse:
    key = (get_header(headers, IDEMPOTENCY_HEADER) or "").strip()
    if not key:
        return error_response(400, "idempotency_key_required", "Idempotency-Key header missing")
    try:
        uuid.UUID(key)
    except ValueError:
        return error_response(400, "idempotency_key_invalid", "Idempotency-Key must be a UUID")
    # The same key on another endpoint is "another body" too, so the target is included.
    fingerprint = hashlib.sha256(f"{method}\n{target}\n".encode() + body).hexdigest()

    with gateway.db.write() as conn:
        stored = conn.execute(
            "SELECT fingerprint, status, body FROM idempotency WHERE key = ?", (key,)
        ).fetchone()
        if stored is not None:
            if stored["fingerprint"] != fingerprint:
                return error_response(
                    409,
                    "idempotency_conflict",
                    "this Idempotency-Key was used with another request body",
                )
            return ApiResponse(stored["status"], bytes(stored["body"]))
        try:
            status, payload = operation(conn, _parse_json(body))
            response = json_response(status, payload)
        except PaymentError as exc:
            # A refusal is an answer too: replaying the key must give the same refusal.
            response = json_response(exc.http_status, exc.body())
        conn.execute(
            "INSERT INTO idempotency (key, fingerprint, status, body, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (key, fingerprint, response.status, response.body, int(gateway.clock())),
        )
    gateway.outbox.notify_dispatcher()
    return response


def _parse_json(body: bytes) -> object:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InvalidRequestError("body must be UTF-8 JSON") from None

"""Signed messages as specs/payment-gateway.md defines them, for both protocols.

A request is signed over ``"<ts>\\n<METHOD>\\n<path?query>\\n" + body``, an answer over
``"<ts>\\nRESPONSE\\n<the request's X-Signature>\\n" + body``. Keys come from settings:
the website's private key signs, the trusted gateway keys (several, for rotation) verify.
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

from kabinet.lib.signing import KeyRing, Signer, load_private_key

from .models import SignatureCheck

HEADER_KEY = "X-Signature-Key"
HEADER_TIMESTAMP = "X-Signature-Timestamp"
HEADER_SIGNATURE = "X-Signature"
SIGNATURE_HEADERS = (HEADER_KEY, HEADER_TIMESTAMP, HEADER_SIGNATURE)
MAX_SKEW_SECONDS = 300
_TIMESTAMP_RE = re.compile(r"[0-9]{1,12}")


def request_message(timestamp: str, method: str, target: str, body: bytes) -> bytes:
    return f"{timestamp}\n{method.upper()}\n{target}\n".encode() + body


def response_message(timestamp: str, request_signature: str, body: bytes) -> bytes:
    return f"{timestamp}\nRESPONSE\n{request_signature}\n".encode() + body


@lru_cache(maxsize=8)
def _signer(path: str, mtime: float) -> Signer:
    return Signer(load_private_key(path))


def site_signer() -> Signer:
    path = settings.KABINET_SITE_PRIVATE_KEY
    try:
        mtime = Path(path).stat().st_mtime
    except OSError as exc:
        raise ImproperlyConfigured(
            f"The website's signing key {path} is missing: run `manage.py keys generate`."
        ) from exc
    return _signer(path, mtime)


@lru_cache(maxsize=8)
def _keyring(paths: tuple[str, ...], mtimes: tuple[float, ...]) -> KeyRing:
    return KeyRing.from_files(list(paths))


def gateway_keyring() -> KeyRing:
    paths = tuple(settings.KABINET_GATEWAY_PUBLIC_KEYS)
    mtimes = tuple(Path(p).stat().st_mtime if Path(p).exists() else 0.0 for p in paths)
    return _keyring(paths, mtimes)


def _sign(message: bytes, timestamp: str) -> dict[str, str]:
    signer = site_signer()
    return {
        HEADER_KEY: signer.key_id,
        HEADER_TIMESTAMP: timestamp,
        HEADER_SIGNATURE: signer.sign(message),
    }


def sign_request(method: str, target: str, body: bytes) -> dict[str, str]:
    timestamp = str(int(time.time()))
    return _sign(request_message(timestamp, method, target, body), timestamp)


def sign_response(request_signature: str, body: bytes) -> dict[str, str]:
    timestamp = str(int(time.time()))
    return _sign(response_message(timestamp, request_signature, body), timestamp)


@dataclass(frozen=True)
class Verification:
    check: str  # a SignatureCheck value
    detail: str
    key_id: str = ""

    @property
    def ok(self) -> bool:
        return self.check == SignatureCheck.OK


def header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return (value or "").strip()


def verify(
    headers: Mapping[str, str], message_for_timestamp, now: float | None = None
) -> Verification:  # type: ignore[no-untyped-def]
    """Run the spec's checks in order: headers, key id, timestamp, signature."""
    values = {name: header(headers, name) for name in SIGNATURE_HEADERS}
    for name, value in values.items():
        if not value:
            return Verification(SignatureCheck.MISSING_HEADER, f"missing header {name}")
    kid, timestamp, signature = (values[name] for name in SIGNATURE_HEADERS)
    keyring = gateway_keyring()
    if kid not in keyring:
        return Verification(SignatureCheck.UNKNOWN_KEY, f"unknown key id {kid[:64]!r}")
    if not _TIMESTAMP_RE.fullmatch(timestamp):
        return Verification(SignatureCheck.TIMESTAMP, "timestamp is not unix seconds", kid)
    skew = int(timestamp) - (time.time() if now is None else now)
    if abs(skew) > MAX_SKEW_SECONDS:
        side = "future" if skew > 0 else "past"
        return Verification(
            SignatureCheck.TIMESTAMP,
            f"timestamp {int(abs(skew))} s in the {side} (limit {MAX_SKEW_SECONDS} s)",
            kid,
        )
    try:
        base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return Verification(SignatureCheck.BAD_SIGNATURE, "signature is not base64", kid)
    if not keyring.verify(kid, signature, message_for_timestamp(timestamp)):
        return Verification(SignatureCheck.BAD_SIGNATURE, "signature does not verify", kid)
    return Verification(SignatureCheck.OK, "", kid)


def verify_request(
    headers: Mapping[str, str], method: str, target: str, body: bytes
) -> Verification:
    return verify(headers, lambda ts: request_message(ts, method, target, body))


def verify_response(
    headers: Mapping[str, str], request_signature: str, body: bytes
) -> Verification:
    return verify(headers, lambda ts: response_message(ts, request_signature, body))


def request_target(request: HttpRequest) -> str:
    """The path?query exactly as the client sent it (what the signature covers)."""
    # gunicorn and uWSGI pass the raw request line's target; others only the decoded path.
    raw = request.META.get("RAW_URI") or request.META.get("REQUEST_URI")
    if raw and raw.startswith("/"):
        return raw
    return request.get_full_path()


def request_headers(request: HttpRequest) -> dict[str, str]:
    """The request's headers as sent, for the message log (cookies left out)."""
    return {k: v for k, v in request.headers.items() if k.lower() != "cookie"}

"""Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP).

What authenticator apps expect: SHA-1, 6 digits, a 30-second step. Verification accepts the
step before and after the current one (clocks drift) and returns the matched step, so the
caller can refuse a step that was already used.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
from urllib.parse import quote, urlencode

STEP_SECONDS = 30
DIGITS = 6
WINDOW = 1
_DIGESTS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}


def random_secret() -> str:
    """A new shared secret: 160 random bits as base32, as RFC 4226 recommends."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii")


def secret_bytes(secret: str) -> bytes:
    """Decode a base32 secret as typed by a person: any case, spaces and padding optional."""
    cleaned = secret.replace(" ", "").replace("-", "").upper().rstrip("=")
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def hotp(key: bytes, counter: int, *, digits: int = DIGITS, digest: str = "sha1") -> str:
    mac = hmac.new(key, struct.pack(">Q", counter), _DIGESTS[digest]).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def time_step(at: float | None = None, *, step: int = STEP_SECONDS) -> int:
    return int((time.time() if at is None else at) // step)


def totp(
    key: bytes,
    at: float | None = None,
    *,
    digits: int = DIGITS,
    digest: str = "sha1",
    step: int = STEP_SECONDS,
) -> str:
    return hotp(key, time_step(at, step=step), digits=digits, digest=digest)


def totp_match(
    key: bytes, code: str, at: float | None = None, *, window: int = WINDOW
) -> int | None:
    """The time step whose code equals ``code`` (within ±window steps), or None."""
    code = code.strip()
    # ASCII digits only: str.isdigit() also takes "١٢٣٤٥٦" or "²³⁴⁵⁶⁷", which
    # hmac.compare_digest refuses with a TypeError.
    if len(code) != DIGITS or not (code.isascii() and code.isdigit()):
        return None
    current = time_step(at)
    found = None
    # Compare every candidate so the time taken does not tell which step matched.
    for counter in range(current - window, current + window + 1):
        if hmac.compare_digest(hotp(key, counter), code) and found is None:
            found = counter
    return found


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    """The otpauth:// link a QR code carries (Google Authenticator's key-URI format)."""
    label = quote(f"{issuer}:{account}", safe="@:")
    query = urlencode(
        {"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS, "period": 30},
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{query}"

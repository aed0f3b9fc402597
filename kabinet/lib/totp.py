"""Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP), computed by ``pyotp``.

What authenticator apps expect: SHA-1, 6 digits, a 30-second step. Verification accepts the
step before and after the current one (clocks drift) and returns the matched step, so the
caller can refuse a step that was already used: ``pyotp.TOTP.verify`` answers only yes or
no, so the window is walked here over ``pyotp.HOTP``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import quote, urlencode

import pyotp

STEP_SECONDS = 30
DIGITS = 6
WINDOW = 1
_DIGESTS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}


def random_secret() -> str:
    """A new shared secret: 160 random bits as base32, as RFC 4226 recommends."""
    return pyotp.random_base32(32)


def secret_bytes(secret: str) -> bytes:
    """Decode a base32 secret as typed by a person: any case, spaces and padding optional."""
    cleaned = secret.replace(" ", "").replace("-", "").upper().rstrip("=")
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def hotp(key: bytes, counter: int, *, digits: int = DIGITS, digest: str = "sha1") -> str:
    secret = base64.b32encode(key).decode("ascii")
    return pyotp.HOTP(secret, digits=digits, digest=_DIGESTS[digest]).at(counter)


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

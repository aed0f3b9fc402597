"""Ed25519 message signatures as defined in specs/payment-gateway.md."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

HEADER_KEY = "X-Signature-Key"
HEADER_TIMESTAMP = "X-Signature-Timestamp"
HEADER_SIGNATURE = "X-Signature"
SIGNATURE_HEADERS = (HEADER_KEY, HEADER_TIMESTAMP, HEADER_SIGNATURE)

MAX_CLOCK_SKEW = 300  # seconds, either way
_TIMESTAMP_RE = re.compile(r"[0-9]{1,12}")

# Names of the failed check, reported to the peer in 403 bodies and to callers.
CHECK_MISSING_HEADER = "missing_header"
CHECK_UNKNOWN_KEY = "unknown_key"
CHECK_TIMESTAMP = "timestamp"
CHECK_SIGNATURE = "bad_signature"


class SignatureError(Exception):
    """A signature check failed; `check` names which one."""

    def __init__(self, check: str, message: str) -> None:
        super().__init__(message)
        self.check = check
        self.message = message


def raw_public_bytes(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(
        encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw
    )


def key_id(public_key: Ed25519PublicKey) -> str:
    return hashlib.sha256(raw_public_bytes(public_key)).hexdigest()[:16]


def load_private_key(source: str | Path) -> Ed25519PrivateKey:
    """Load a PKCS#8 PEM private key from a file path or from inline PEM text."""
    data = _pem_bytes(source)
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{source}: not an Ed25519 private key")
    return key


def load_public_key(source: str | Path) -> Ed25519PublicKey:
    """Load a SubjectPublicKeyInfo PEM public key (file path or inline PEM)."""
    data = _pem_bytes(source)
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{source}: not an Ed25519 public key")
    return key


def _pem_bytes(source: str | Path) -> bytes:
    # Inline PEM is accepted so keys can come from secret stores as env values.
    if isinstance(source, str) and source.lstrip().startswith("-----BEGIN"):
        return source.encode("ascii")
    return Path(source).read_bytes()


def private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PublicFormat.SubjectPublicKeyInfo,
    )


def request_message(timestamp: str, method: str, path: str, body: bytes) -> bytes:
    return f"{timestamp}\n{method.upper()}\n{path}\n".encode() + body


def response_message(timestamp: str, request_signature: str, body: bytes) -> bytes:
    return f"{timestamp}\nRESPONSE\n{request_signature}\n".encode() + body


@dataclass(frozen=True)
class Signer:
    private_key: Ed25519PrivateKey
    clock: Callable[[], float] = time.time

    @property
    def key_id(self) -> str:
        return key_id(self.private_key.public_key())

    def _headers(self, message_for: Callable[[str], bytes]) -> dict[str, str]:
        timestamp = str(int(self.clock()))
        signature = self.private_key.sign(message_for(timestamp))
        return {
            HEADER_KEY: self.key_id,
            HEADER_TIMESTAMP: timestamp,
            HEADER_SIGNATURE: base64.b64encode(signature).decode("ascii"),
        }

    def sign_request(self, method: str, path: str, body: bytes) -> dict[str, str]:
        return self._headers(lambda ts: request_message(ts, method, path, body))

    def sign_response(self, request_signature: str, body: bytes) -> dict[str, str]:
        return self._headers(lambda ts: response_message(ts, request_signature, body))


class Verifier:
    """Checks signatures against a set of trusted public keys (several for rotation)."""

    def __init__(
        self,
        public_keys: Iterable[Ed25519PublicKey],
        clock: Callable[[], float] = time.time,
        max_skew: int = MAX_CLOCK_SKEW,
    ) -> None:
        self.keys = {key_id(k): k for k in public_keys}
        self.clock = clock
        self.max_skew = max_skew

    def verify_request(
        self, headers: Mapping[str, str], method: str, path: str, body: bytes
    ) -> str:
        """Verify a request; return the key id that signed it or raise SignatureError."""
        return self._verify(headers, lambda ts: request_message(ts, method, path, body))

    def verify_response(
        self, headers: Mapping[str, str], request_signature: str, body: bytes
    ) -> str:
        return self._verify(headers, lambda ts: response_message(ts, request_signature, body))

    def _verify(self, headers: Mapping[str, str], message_for: Callable[[str], bytes]) -> str:
        values = {name: get_header(headers, name) for name in SIGNATURE_HEADERS}
        for name, value in values.items():
            if not value:
                raise SignatureError(CHECK_MISSING_HEADER, f"missing header {name}")
        kid, timestamp, signature_b64 = (values[name] or "" for name in SIGNATURE_HEADERS)
        public_key = self.keys.get(kid.strip())
        if public_key is None:
            raise SignatureError(CHECK_UNKNOWN_KEY, f"unknown key id {kid!r}")
        # str.isdigit() also accepts digits like "²" that int() refuses, hence the regex.
        if not _TIMESTAMP_RE.fullmatch(timestamp):
            raise SignatureError(CHECK_TIMESTAMP, "timestamp is not unix seconds")
        skew = int(timestamp) - self.clock()
        if abs(skew) > self.max_skew:
            direction = "future" if skew > 0 else "past"
            raise SignatureError(
                CHECK_TIMESTAMP,
                f"timestamp {abs(int(skew))} s in the {direction} (limit {self.max_skew} s)",
            )
        try:
            signature = base64.b64decode(signature_b64, validate=True)
            public_key.verify(signature, message_for(timestamp))
        except (InvalidSignature, binascii.Error, ValueError):
            raise SignatureError(CHECK_SIGNATURE, "signature does not verify") from None
        return kid


def get_header(headers: Mapping[str, str], name: str) -> str | None:
    # http.client / http.server header objects are case-insensitive; plain dicts are not.
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        for key, candidate in headers.items():
            if key.lower() == lowered:
                return candidate
    return value


@dataclass(frozen=True)
class KeyFiles:
    private_path: Path
    public_path: Path
    key_id: str
    created: bool


def generate_key_pair(out_dir: Path, name: str, force: bool = False) -> KeyFiles:
    """Write <name>.pem and <name>.pub.pem; keep an existing key unless forced."""
    private_path = out_dir / f"{name}.pem"
    public_path = out_dir / f"{name}.pub.pem"
    if private_path.exists() and not force:
        key = load_private_key(private_path)
        # A lost public half can always be rebuilt from the private key.
        if not public_path.exists():
            public_path.write_bytes(public_pem(key.public_key()))
        return KeyFiles(private_path, public_path, key_id(key.public_key()), created=False)
    out_dir.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    private_path.write_bytes(private_pem(key))
    private_path.chmod(0o600)
    public_path.write_bytes(public_pem(key.public_key()))
    return KeyFiles(private_path, public_path, key_id(key.public_key()), created=True)

"""Ed25519 keys: PEM files, key ids and package signatures."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)


class KeyFileError(Exception):
    """A key file is missing or is not an Ed25519 key of the expected kind."""


class SignatureError(Exception):
    """A package signature is malformed, made by an unknown key, or wrong."""


def key_id(public_key: Ed25519PublicKey) -> str:
    """First 16 hex chars of SHA-256 of the raw 32-byte public key (the contract's key_id)."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise KeyFileError(f"cannot read private key {path}: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path} is not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError, TypeError) as exc:
        raise KeyFileError(f"cannot read public key {path}: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError(f"{path} is not an Ed25519 public key")
    return key


def load_trusted_keys(paths: list[Path]) -> dict[str, Ed25519PublicKey]:
    """Several keys may be trusted at once so the website can rotate its key."""
    return {key_id(key): key for key in (load_public_key(p) for p in paths)}


def sign(private_key: Ed25519PrivateKey, manifest_bytes: bytes) -> bytes:
    """The ASCII content of the `signature` member."""
    kid = key_id(private_key.public_key())
    signature = base64.b64encode(private_key.sign(manifest_bytes)).decode("ascii")
    return f"ed25519:{kid}:{signature}".encode("ascii")


def verify(
    signature_member: bytes, manifest_bytes: bytes, trusted: dict[str, Ed25519PublicKey]
) -> str:
    """Check `signature` against the exact manifest bytes; return the signer's key id."""
    try:
        text = signature_member.decode("ascii")
    except UnicodeDecodeError:
        raise SignatureError("signature is not ASCII") from None
    # A trailing newline is harmless and some writers add one; nothing else is tolerated.
    parts = text.rstrip("\r\n").split(":")
    if len(parts) != 3 or parts[0] != "ed25519":
        raise SignatureError("signature must be 'ed25519:<key_id>:<base64>'")
    _, kid, b64 = parts
    public_key = trusted.get(kid)
    if public_key is None:
        known = ", ".join(sorted(trusted)) or "none"
        raise SignatureError(f"signed by unknown key {kid!r} (trusted: {known})")
    try:
        raw = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("signature is not valid base64") from None
    if len(raw) != 64:
        raise SignatureError(f"signature must be 64 bytes, got {len(raw)}")
    try:
        public_key.verify(raw, manifest_bytes)
    except InvalidSignature:
        raise SignatureError(f"bad signature for key {kid}") from None
    return kid


@dataclass(frozen=True)
class GeneratedKey:
    private_path: Path
    public_path: Path
    key_id: str
    created: bool


def generate_key_files(out_dir: Path, name: str, force: bool = False) -> GeneratedKey:
    """Write NAME.pem (PKCS#8) and NAME.pub.pem (SPKI); keep existing files unless forced."""
    out_dir.mkdir(parents=True, exist_ok=True)
    private_path = out_dir / f"{name}.pem"
    public_path = out_dir / f"{name}.pub.pem"
    if private_path.exists() and not force:
        existing = load_private_key(private_path)
        if not public_path.exists():
            public_path.write_bytes(_public_pem(existing.public_key()))
        return GeneratedKey(private_path, public_path, key_id(existing.public_key()), False)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # The private key must never be world-readable, not even for an instant.
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    os.chmod(private_path, 0o600)
    public_path.write_bytes(_public_pem(key.public_key()))
    return GeneratedKey(private_path, public_path, key_id(key.public_key()), True)


def _public_pem(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )

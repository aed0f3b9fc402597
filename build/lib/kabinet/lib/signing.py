"""Ed25519 keys and signatures, as both wire specs define them.

key id = first 16 hex characters of SHA-256 of the raw 32-byte public key.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_private_key(path: str | Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key


def load_public_key(path: str | Path) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(Path(path).read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"{path} is not an Ed25519 public key")
    return key


@dataclass(frozen=True)
class Signer:
    private_key: Ed25519PrivateKey

    @property
    def key_id(self) -> str:
        return key_id(self.private_key.public_key())

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self.private_key.sign(message)).decode("ascii")


class KeyRing:
    """Trusted public keys by key id (several at once, for rotation)."""

    def __init__(self, keys: list[Ed25519PublicKey]) -> None:
        self._keys = {key_id(k): k for k in keys}

    @classmethod
    def from_files(cls, paths: list[str]) -> KeyRing:
        return cls([load_public_key(p) for p in paths if p and Path(p).exists()])

    def __contains__(self, kid: str) -> bool:
        return kid in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def verify(self, kid: str, signature_b64: str, message: bytes) -> bool:
        key = self._keys.get(kid)
        if key is None:
            return False
        try:
            signature = base64.b64decode(signature_b64, validate=True)
            key.verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


def generate_key_pair(out_dir: Path, name: str, *, force: bool = False) -> tuple[Path, Path, str]:
    """Write ``<name>.pem`` (PKCS#8) and ``<name>.pub.pem`` (SubjectPublicKeyInfo)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    private_path, public_path = out_dir / f"{name}.pem", out_dir / f"{name}.pub.pem"
    if private_path.exists() and not force:
        private = load_private_key(private_path)
    else:
        private = Ed25519PrivateKey.generate()
        private_path.write_bytes(
            private.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        private_path.chmod(0o600)
    public_path.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private_path, public_path, key_id(private.public_key())

"""A tiny, independent site-to-billing package writer for the tests.

It is written from the contract, not from billingsim's own writer, so a bug
shared by both sides cannot hide itself.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

AT = "2026-11-24T10:00:00Z"
Members = list[tuple[str, bytes]]


@dataclass
class SiteKey:
    private: Ed25519PrivateKey
    public_path: Path

    @property
    def key_id(self) -> str:
        raw = self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return hashlib.sha256(raw).hexdigest()[:16]

    def sign(self, manifest: bytes) -> bytes:
        sig = base64.b64encode(self.private.sign(manifest)).decode()
        return f"ed25519:{self.key_id}:{sig}".encode()


def make_site_key(directory: Path, name: str = "site") -> SiteKey:
    directory.mkdir(parents=True, exist_ok=True)
    private = Ed25519PrivateKey.generate()
    public_path = directory / f"{name}.pub.pem"
    public_path.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return SiteKey(private, public_path)


def rec(record_type: str, data: dict[str, Any], record_id: str | None = None) -> dict[str, Any]:
    return {"id": record_id or str(uuid.uuid4()), "type": record_type, "at": AT, "data": data}


def client(contract: str = "1001", status: str = "active", **extra: Any) -> dict[str, Any]:
    data = {
        "contract": contract,
        "name": f"ООО «Клиент {contract}»",
        "inn": "7701234567",
        "kpp": "770101001",
        "status": status,
    }
    return rec("client.upserted", {**data, **extra})


def tariff(code: str = "T1", prices: dict[str, str] | None = None) -> dict[str, Any]:
    return rec(
        "tariff.upserted",
        {
            "tariff_code": code,
            "service_code": "phone",
            "name": f"Тариф {code}",
            "visibility": "public",
            "effective_from": "2026-01-01",
            "prices": prices if prices is not None else {"monthly_fee": "990.00"},
        },
    )


def subscription(
    contract: str = "1001", sub_id: str = "S1", tariff_code: str = "T1", status: str = "active"
) -> dict[str, Any]:
    return rec(
        "subscription.upserted",
        {
            "contract": contract,
            "subscription_id": sub_id,
            "service_code": "phone",
            "tariff_code": tariff_code,
            "status": status,
            "parameters": {"number": "+74950000001"},
        },
    )


def payment(
    contract: str = "1001",
    payment_id: str = "P1",
    amount: str = "1500.00",
    record_id: str | None = None,
) -> dict[str, Any]:
    return rec(
        "payment.captured",
        {
            "contract": contract,
            "payment_id": payment_id,
            "amount": amount,
            "channel": "card",
            "captured_at": "2026-11-24T09:00:00Z",
        },
        record_id,
    )


def refund(
    contract: str = "1001", payment_id: str = "P1", amount: str = "100.00"
) -> dict[str, Any]:
    return rec(
        "payment.refunded",
        {
            "contract": contract,
            "payment_id": payment_id,
            "amount": amount,
            "refunded_at": "2026-11-24T09:30:00Z",
        },
    )


def line(record: dict[str, Any] | bytes) -> bytes:
    if isinstance(record, bytes):
        return record
    return (json.dumps(record, ensure_ascii=False) + "\n").encode()


def manifest_for(sequence: int, body: bytes, count: int, **overrides: Any) -> dict[str, Any]:
    manifest = {
        "format": 1,
        "direction": "site-to-billing",
        "sender": "site",
        "sequence": sequence,
        "created_at": "2026-11-24T10:15:00Z",
        "ack_through": 0,
        "record_count": count,
        "records_sha256": hashlib.sha256(body).hexdigest(),
    }
    manifest.update(overrides)
    return manifest


def build_zip(path: Path, members: Members, compression: int = zipfile.ZIP_DEFLATED) -> Path:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns on duplicate names, which we want
        with zipfile.ZipFile(path, "w", compression) as archive:
            for name, content in members:
                archive.writestr(name, content)
    return path


def write_package(
    path: Path,
    key: SiteKey,
    sequence: int,
    records: Iterable[dict[str, Any] | bytes],
    *,
    mutate: Callable[[Members], Members] | None = None,
    signature: bytes | None = None,
    **manifest_overrides: Any,
) -> Path:
    lines = [line(r) for r in records]
    body = b"".join(lines)
    manifest = json.dumps(manifest_for(sequence, body, len(lines), **manifest_overrides)).encode()
    members: Members = [
        ("manifest.json", manifest),
        ("records.jsonl", body),
        ("signature", signature if signature is not None else key.sign(manifest)),
    ]
    if mutate is not None:
        members = mutate(members)
    return build_zip(path, members)


def write_streamed_package(
    path: Path, key: SiteKey, sequence: int, lines: Iterator[bytes], work_dir: Path
) -> Path:
    """Large packages: records go through a temporary file so the writer stays small too."""
    body_path = work_dir / f"records-{sequence}.jsonl"
    digest = hashlib.sha256()
    count = 0
    with body_path.open("wb") as handle:
        for item in lines:
            handle.write(item)
            digest.update(item)
            count += 1
    manifest = json.dumps(
        {
            "format": 1,
            "direction": "site-to-billing",
            "sender": "site",
            "sequence": sequence,
            "created_at": "2026-11-24T10:15:00Z",
            "ack_through": 0,
            "record_count": count,
            "records_sha256": digest.hexdigest(),
        }
    ).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", manifest)
        archive.write(body_path, "records.jsonl")
        archive.writestr("signature", key.sign(manifest))
    body_path.unlink()
    return path

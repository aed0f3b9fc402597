"""An independent billing peer for the tests, written from specs/billing-exchange.md only.

It shares no code with the website (nor with billingsim): its own Ed25519 signing with
``cryptography``, its own ZIP writing, and knobs to break every rule the spec lists.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import uuid
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


def raw_key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def write_key_pair(directory: Path, name: str) -> tuple[Ed25519PrivateKey, Path, Path]:
    private = Ed25519PrivateKey.generate()
    private_path, public_path = directory / f"{name}.pem", directory / f"{name}.pub.pem"
    private_path.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public_path.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return private, private_path, public_path


def stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class BillingPeer:
    def __init__(self, directory: Path) -> None:
        self.key, self.key_path, self.public_path = write_key_pair(directory, "peer-billing")
        self.key_id = raw_key_id(self.key.public_key())
        self.sequence = 0

    # --- records ---------------------------------------------------------------------

    @staticmethod
    def record(type: str, record_id: str | None = None, **data: Any) -> dict[str, Any]:
        return {
            "id": record_id or str(uuid.uuid4()),
            "type": type,
            "at": "2026-11-01T09:00:00Z",
            "data": data,
        }

    def snapshot(self, contract: str, balance: str, as_of: str, **kw: Any) -> dict[str, Any]:
        return self.record(
            "balance.snapshot", contract=contract, balance=balance, as_of=as_of, **kw
        )

    def received(
        self,
        contract: str,
        payment_id: str,
        amount: str,
        received_at: str,
        reference: str = "",
        channel: str = "bank",
    ) -> dict[str, Any]:
        """payment.received (the spec's December 2026 list): money billing received itself."""
        return self.record(
            "payment.received",
            contract=contract,
            payment_id=payment_id,
            amount=amount,
            channel=channel,
            received_at=received_at,
            reference=reference,
        )

    def charge(self, contract: str, charge_id: str, amount: str, period: str = "2026-10"):
        return self.record(
            "charge.posted",
            contract=contract,
            charge_id=charge_id,
            amount=amount,
            period=period,
            description=f"Monthly fee {period}",
        )

    def usage(self, contract: str, period: str, zone: str, calls: int, minutes: int, amount: str):
        return self.record(
            "usage.summary",
            contract=contract,
            period=period,
            zone=zone,
            calls=calls,
            minutes=minutes,
            amount=amount,
        )

    def document(self, contract: str, document_id: str, pdf: bytes = b"%PDF-1.4 peer"):
        return self.record(
            "document.issued",
            contract=contract,
            document_id=document_id,
            kind="invoice",
            number=f"INV-{document_id}",
            date="2026-10-31",
            amount="490.00",
            pdf_base64=base64.b64encode(pdf).decode("ascii"),
        )

    # --- packages --------------------------------------------------------------------

    def package(
        self,
        records: Iterable[dict[str, Any]] = (),
        *,
        sequence: int | None = None,
        ack_through: int = 0,
        records_bytes: bytes | None = None,
        manifest_overrides: dict[str, Any] | None = None,
        signing_key: Ed25519PrivateKey | None = None,
        tamper_signature: bool = False,
        members: dict[str, bytes] | None = None,
        skip: tuple[str, ...] = (),
        compression: int = zipfile.ZIP_DEFLATED,
    ) -> bytes:
        """A billing-to-site package; with no sequence, the next one of this peer."""
        if sequence is None:
            self.sequence += 1
            sequence = self.sequence
        body = (
            records_bytes
            if records_bytes is not None
            else b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in records)
        )
        manifest: dict[str, Any] = {
            "format": 1,
            "direction": "billing-to-site",
            "sender": "billing",
            "sequence": sequence,
            "created_at": stamp(dt.datetime.now(dt.UTC)),
            "ack_through": ack_through,
            "record_count": body.count(b"\n"),
            "records_sha256": hashlib.sha256(body).hexdigest(),
        }
        manifest.update(manifest_overrides or {})
        manifest_bytes = json.dumps(manifest, sort_keys=True).encode()
        key = signing_key or self.key
        signature = key.sign(manifest_bytes)
        if tamper_signature:
            signature = bytes([signature[0] ^ 1]) + signature[1:]
        kid = raw_key_id(key.public_key())
        content = {
            "manifest.json": manifest_bytes,
            "records.jsonl": body,
            "signature": f"ed25519:{kid}:{base64.b64encode(signature).decode()}".encode(),
        }
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
            for name, data in content.items():
                if name not in skip:
                    archive.writestr(name, data)
            for name, data in (members or {}).items():
                archive.writestr(name, data)
        return buffer.getvalue()


def read_site_package(data: bytes, public: Ed25519PublicKey) -> tuple[dict[str, Any], list[dict]]:
    """Billing's reading of a website package: verify the signature, then the records."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = sorted(info.filename for info in archive.infolist())
        assert names == ["manifest.json", "records.jsonl", "signature"], names
        manifest_bytes = archive.read("manifest.json")
        body = archive.read("records.jsonl")
        scheme, kid, b64 = archive.read("signature").decode("ascii").split(":")
    assert scheme == "ed25519"
    assert kid == raw_key_id(public)
    public.verify(base64.b64decode(b64), manifest_bytes)
    manifest = json.loads(manifest_bytes)
    assert manifest["records_sha256"] == hashlib.sha256(body).hexdigest()
    lines = body.split(b"\n")
    assert lines[-1] == b""
    records = [json.loads(line) for line in lines[:-1]]
    assert manifest["record_count"] == len(records)
    return manifest, records


def patch_central_size(data: bytes, member: str, size: int) -> bytes:
    """Rewrite the uncompressed size a ZIP's central directory claims for one member."""
    name = member.encode()
    start = data.find(b"PK\x01\x02" + b"\x00" * 0, 0)
    while start != -1:
        name_length = int.from_bytes(data[start + 28 : start + 30], "little")
        if data[start + 46 : start + 46 + name_length] == name:
            return data[: start + 24] + size.to_bytes(4, "little") + data[start + 28 :]
        start = data.find(b"PK\x01\x02", start + 4)
    raise AssertionError(f"{member} not found")

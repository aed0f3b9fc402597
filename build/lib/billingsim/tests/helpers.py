"""Reading billing-to-site packages back, straight from the contract's text."""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def read_billing_package(
    path: Path, public_key: Ed25519PublicKey
) -> tuple[dict[str, Any], list[dict[str, Any]], bytes]:
    """Verify members, signature, count and sha; return (manifest, records, raw records)."""
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == ["manifest.json", "records.jsonl", "signature"]
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in infos)
        manifest_bytes = archive.read("manifest.json")
        body = archive.read("records.jsonl")
        signature = archive.read("signature").decode("ascii")
    prefix, kid, b64 = signature.split(":")
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert prefix == "ed25519"
    assert kid == hashlib.sha256(raw).hexdigest()[:16]
    public_key.verify(base64.b64decode(b64), manifest_bytes)  # raises if wrong
    manifest = json.loads(manifest_bytes)
    assert manifest["format"] == 1
    assert manifest["direction"] == "billing-to-site"
    assert manifest["sender"] == "billing"
    assert manifest["records_sha256"] == hashlib.sha256(body).hexdigest()
    assert manifest["created_at"].endswith("Z")
    assert body == b"" or body.endswith(b"\n")
    lines = body.split(b"\n")[:-1] if body else []
    assert all(lines), "no blank lines"
    assert manifest["record_count"] == len(lines)
    return manifest, [json.loads(x) for x in lines], body

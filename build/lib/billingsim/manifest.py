"""manifest.json: parsing with the contract's checks, and building ours."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from billingsim.clock import parse_rfc3339
from billingsim.package import PackageError

FORMAT = 1
SITE_TO_BILLING = "site-to-billing"
BILLING_TO_SITE = "billing-to-site"
SENDERS = {SITE_TO_BILLING: "site", BILLING_TO_SITE: "billing"}
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Manifest:
    format: int
    direction: str
    sender: str
    sequence: int
    created_at: str
    ack_through: int
    record_count: int
    records_sha256: str

    def as_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "direction": self.direction,
            "sender": self.sender,
            "sequence": self.sequence,
            "created_at": self.created_at,
            "ack_through": self.ack_through,
            "record_count": self.record_count,
            "records_sha256": self.records_sha256,
        }


def _int(obj: dict[str, Any], name: str, minimum: int) -> int:
    value = obj.get(name)
    # bool is an int subclass in Python but not a number in JSON terms.
    if isinstance(value, bool) or not isinstance(value, int):
        raise PackageError(f"manifest: {name} must be an integer, got {value!r}")
    if value < minimum:
        raise PackageError(f"manifest: {name} must be >= {minimum}, got {value}")
    return value


def parse_manifest(raw: bytes, expected_direction: str) -> Manifest:
    """Validate in the contract's order: format, direction (and sender), then the rest."""
    try:
        obj = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PackageError(f"manifest.json is not UTF-8 JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise PackageError("manifest.json must be a JSON object")
    fmt = obj.get("format")
    if isinstance(fmt, bool) or fmt != FORMAT:
        raise PackageError(f"unsupported format {fmt!r} (expected {FORMAT})")
    direction = obj.get("direction")
    if direction != expected_direction:
        raise PackageError(f"wrong direction {direction!r} (expected {expected_direction!r})")
    sender = obj.get("sender")
    if sender != SENDERS[expected_direction]:
        raise PackageError(f"wrong sender {sender!r} (expected {SENDERS[expected_direction]!r})")
    created_at = obj.get("created_at")
    try:
        parse_rfc3339(created_at)
    except ValueError as exc:
        raise PackageError(f"manifest: created_at: {exc}") from None
    sha = obj.get("records_sha256")
    if not isinstance(sha, str) or not _SHA256.fullmatch(sha.lower()):
        raise PackageError(f"manifest: records_sha256 must be 64 hex digits, got {sha!r}")
    return Manifest(
        format=FORMAT,
        direction=direction,
        sender=sender,
        sequence=_int(obj, "sequence", 1),
        created_at=str(created_at),
        ack_through=_int(obj, "ack_through", 0),
        record_count=_int(obj, "record_count", 0),
        records_sha256=sha.lower(),
    )

"""Parsing and validating site-to-billing records (the contract's website → billing table).

The field rules are data (FIELDS) checked by one loop: a package may hold a
million records, and one call per record beats a dozen small validators.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from billingsim.clock import check_rfc3339, parse_date
from billingsim.money import MONEY_RE

CLIENT_STATUSES = ("active", "suspended", "closed")
VISIBILITIES = ("public", "archived", "exclusive")
CHANNELS = ("card", "terminal")
CREDIT_END_REASONS = ("paid", "expired", "revoked")

# Canonical hyphenated UUID, version 4, RFC 4122 variant: the contract says "<uuid4>".
_UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", re.I)

# Field kinds.
TEXT = "text"  # non-empty string
TEXT_OR_EMPTY = "text-or-empty"  # any string
ID = "id"  # website id: non-empty string or integer (the contract leaves the type open)
MONEY_POSITIVE = "money>0"
TIMESTAMP = "timestamp"  # RFC 3339, any offset
DATE = "date"
OBJECT = "object"
PRICES = "prices"  # object of money strings
POSITIVE_INT = "int>0"
LABEL_TEXT = "label-text"  # non-empty, at most 32 characters
NUMBERS = "numbers"  # non-empty array of numbers: digits with the country code
_NUMBER = re.compile(r"[1-9][0-9]{6,14}")

FIELDS: dict[str, tuple[tuple[str, str | tuple[str, ...]], ...]] = {
    # The contract only says kpp may be ""; inn is empty for private persons in
    # practice, so any string is accepted for it too.
    "client.upserted": (
        ("contract", TEXT),
        ("name", TEXT),
        ("inn", TEXT_OR_EMPTY),
        ("kpp", TEXT_OR_EMPTY),
        ("status", CLIENT_STATUSES),
    ),
    # No status vocabulary is given for subscriptions sent by the website.
    "subscription.upserted": (
        ("contract", TEXT),
        ("subscription_id", ID),
        ("service_code", TEXT),
        ("tariff_code", TEXT),
        ("status", TEXT),
        ("parameters", OBJECT),
    ),
    "tariff.upserted": (
        ("tariff_code", TEXT),
        ("service_code", TEXT),
        ("name", TEXT),
        ("visibility", VISIBILITIES),
        ("effective_from", DATE),
        ("prices", PRICES),
    ),
    "payment.captured": (
        ("contract", TEXT),
        ("payment_id", ID),
        ("amount", MONEY_POSITIVE),
        ("channel", CHANNELS),
        ("captured_at", TIMESTAMP),
    ),
    "payment.refunded": (
        ("contract", TEXT),
        ("payment_id", ID),
        ("amount", MONEY_POSITIVE),
        ("refunded_at", TIMESTAMP),
    ),
    # December 2026: an invoice the client issued itself in the cabinet.
    "invoice.issued": (
        ("contract", TEXT),
        ("invoice_id", TEXT),
        ("number", TEXT),
        ("date", DATE),
        ("amount", MONEY_POSITIVE),
        ("purpose", TEXT_OR_EMPTY),
    ),
    # December 2026 (second list): promised payments granted in the cabinet and their end.
    "credit.promised": (
        ("contract", TEXT),
        ("credit_id", TEXT),
        ("amount", MONEY_POSITIVE),
        ("granted_at", TIMESTAMP),
        ("valid_until", TIMESTAMP),
    ),
    "credit.ended": (
        ("contract", TEXT),
        ("credit_id", TEXT),
        ("ended_at", TIMESTAMP),
        ("reason", CREDIT_END_REASONS),
    ),
    # December 2026 (second list): call labelling a manager approved on the website, and its
    # withdrawal.
    "call_label.submitted": (
        ("contract", TEXT),
        ("label_id", TEXT),
        ("version", POSITIVE_INT),
        ("legal_name", TEXT),
        ("brand", TEXT_OR_EMPTY),
        ("category", TEXT),
        ("display_text", LABEL_TEXT),
        ("numbers", NUMBERS),
        ("consent_version", POSITIVE_INT),
        ("consented_at", TIMESTAMP),
        ("consented_by", TEXT),
    ),
    "call_label.withdrawn": (
        ("contract", TEXT),
        ("label_id", TEXT),
        ("withdrawn_at", TIMESTAMP),
    ),
}
# Records whose contract must already be known (earlier in the package or before).
NEEDS_KNOWN_CONTRACT = frozenset(
    {
        "subscription.upserted",
        "payment.captured",
        "payment.refunded",
        "invoice.issued",
        "credit.promised",
        "credit.ended",
        "call_label.submitted",
        "call_label.withdrawn",
    }
)


class RecordError(ValueError):
    """One record breaks the contract; the message is the reason for the report."""


@dataclass(frozen=True, slots=True)
class Record:
    id: str
    type: str
    at: str
    data: dict[str, Any]


def _reject_constant(name: str) -> None:
    raise RecordError(f"{name} is not valid JSON")


# One decoder for all lines: json.loads with options builds a new one per call.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def parse_record(raw: bytes) -> Record:
    """Decode one records.jsonl line (without its newline) and validate it fully."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecordError(f"not UTF-8: {exc.reason} at byte {exc.start}") from None
    try:
        obj = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise RecordError(f"invalid JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(obj, dict):
        raise RecordError("a record must be a JSON object")
    for name in ("id", "type", "at", "data"):
        if name not in obj:
            raise RecordError(f"missing field {name!r}")
    record_id, record_type, at, data = obj["id"], obj["type"], obj["at"], obj["data"]
    if not isinstance(record_id, str) or not _UUID4.fullmatch(record_id):
        raise RecordError(f"id must be a uuid4 string, got {record_id!r}")
    if not isinstance(record_type, str) or record_type not in FIELDS:
        raise RecordError(f"unknown record type {record_type!r}")
    try:
        check_rfc3339(at)
    except ValueError as exc:
        raise RecordError(f"at: {exc}") from None
    if not isinstance(data, dict):
        raise RecordError("data must be a JSON object")
    for name, kind in FIELDS[record_type]:
        if name not in data:
            raise RecordError(f"{record_type}: missing field {name!r}")
        reason = _field_problem(data[name], kind)
        if reason is not None:
            raise RecordError(f"{record_type}: {name}{reason}")
    # Ids are compared case-insensitively; lower() only when needed (it always copies).
    if not record_id.islower():
        record_id = record_id.lower()
    return Record(record_id, record_type, at, data)


def _field_problem(value: Any, kind: str | tuple[str, ...]) -> str | None:
    """None when the value fits; else the reason, phrased to follow the field name."""
    if isinstance(kind, tuple):
        if value in kind:
            return None
        return f" must be one of {', '.join(kind)}, got {value!r}"
    if kind is TEXT or kind is TEXT_OR_EMPTY:
        if not isinstance(value, str):
            return f" must be a string, got {type(value).__name__}"
        if kind is TEXT and (not value or value.isspace()):
            return " must not be empty"
        return None
    if kind is MONEY_POSITIVE:
        reason = money_problem(value)
        # The money regex refuses leading zeros, so "0.00" is the only unsigned zero.
        if reason is None and (value[0] == "-" or value == "0.00"):
            reason = f" must be positive, got {value!r}"
        return reason
    if kind is ID:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            return f" must be a string or an integer, got {type(value).__name__}"
        if isinstance(value, str) and (not value or value.isspace()):
            return " must not be empty"
        return None
    if kind is TIMESTAMP:
        try:
            check_rfc3339(value, utc_only=False)
        except ValueError as exc:
            return f": {exc}"
        return None
    if kind is POSITIVE_INT:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            return f" must be an integer of 1 or more, got {value!r}"
        return None
    if kind is LABEL_TEXT:
        if not isinstance(value, str) or not value.strip():
            return " must be a non-empty string"
        if len(value) > 32:
            return f" must be at most 32 characters, got {len(value)}"
        return None
    if kind is NUMBERS:
        if not isinstance(value, list) or not value:
            return " must be a non-empty array of numbers"
        for number in value:
            if not isinstance(number, str) or not _NUMBER.fullmatch(number):
                return f" must hold digits with the country code, got {number!r}"
        return None
    if kind is DATE:
        try:
            parse_date(value)
        except ValueError as exc:
            return f": {exc}"
        return None
    if not isinstance(value, dict):
        return f" must be a JSON object, got {type(value).__name__}"
    if kind is PRICES:
        for key, price in value.items():
            reason = money_problem(price)
            if reason is not None:
                return f".{key}{reason}"
    return None


def money_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return f": money must be a JSON string, got {type(value).__name__}"
    if not MONEY_RE.fullmatch(value):
        return f": money must have exactly two decimals, got {value!r}"
    return None


def contract_of(record: Record) -> str | None:
    """The contract a record refers to, when it must already be known."""
    if record.type in NEEDS_KNOWN_CONTRACT:
        return str(record.data["contract"])
    return None


def identifier(data: dict[str, Any], name: str) -> str:
    """The text key of a validated website id (string or integer)."""
    return str(data[name])

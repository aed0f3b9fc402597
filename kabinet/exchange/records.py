"""Billing→website records: parsing and validation of one records.jsonl line (no database)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any, NamedTuple

import orjson

from .packages import parse_utc

MONEY_RE = re.compile(r"-?\d+\.\d\d")
PERIOD_RE = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
DATE_RE = re.compile(r"\d{4}-\d\d-\d\d")
STATUSES = ("active", "suspended", "closed")
ZONES = ("local", "long_distance", "international")
KINDS = ("invoice", "act", "reconciliation")
MAX_ID = 100
MAX_TEXT = 500
_DECODER = json.JSONDecoder()
_MONEY_LIMIT = Decimal("1e12")
_FAST_MISS = object()


class RecordError(Exception):
    """Why one line is not a valid record (English; it goes into the package report)."""


class Record(NamedTuple):
    # A named tuple, not a frozen dataclass: as immutable, and made in half the time (a
    # package of calls makes millions).
    id: uuid.UUID
    type: str
    at: dt.datetime
    data: dict[str, Any]


def _text(limit: int = MAX_TEXT, *, empty: bool = False) -> Callable[[Any], Any]:
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise RecordError("must be a string")
        if not value and not empty:
            raise RecordError("must not be empty")
        if len(value) > limit:
            raise RecordError(f"is longer than {limit} characters")
        if "\x00" in value:
            # JSON allows it; PostgreSQL cannot store it in text.
            raise RecordError("must not contain the NUL character (\\u0000)")
        return value

    return check


def _money(value: Any) -> Decimal:
    if not isinstance(value, str) or not MONEY_RE.fullmatch(value):
        raise RecordError('must be a money string with two decimals, like "1500.00"')
    amount = Decimal(value)
    if abs(amount) >= _MONEY_LIMIT:
        raise RecordError("is out of range")
    return amount


def _count(value: Any) -> int:
    if type(value) is not int or value < 0 or value > 2_000_000_000:
        raise RecordError("must be a non-negative integer")
    return value


def _choice(options: tuple[str, ...]) -> Callable[[Any], Any]:
    def check(value: Any) -> str:
        if value not in options:
            raise RecordError(f"must be one of {', '.join(options)}")
        return str(value)

    return check


def _time(value: Any) -> dt.datetime:
    moment = parse_utc(value) if isinstance(value, str) else None
    if moment is None:
        raise RecordError("must be an RFC 3339 time with an offset")
    return moment


def _period(value: Any) -> str:
    if not isinstance(value, str) or not PERIOD_RE.fullmatch(value):
        raise RecordError("must be a month, YYYY-MM")
    return value


def _date(value: Any) -> dt.date:
    try:
        if not isinstance(value, str) or not DATE_RE.fullmatch(value):
            raise ValueError
        return dt.date.fromisoformat(value)
    except ValueError:
        raise RecordError("must be a date, YYYY-MM-DD") from None


def _pdf(value: Any) -> bytes:
    if not isinstance(value, str):
        raise RecordError("must be a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise RecordError("is not valid base64") from None


# Filled by ``registry.register_inbound``: the fields of every billing→website type.
SCHEMAS: dict[str, dict[str, Callable[[Any], Any]]] = {}

# Field checkers for the record types' ``fields`` (each returns the parsed value or raises
# RecordError saying what is wrong).
text = _text
money = _money
count = _count
choice = _choice
time = _time
period = _period
date = _date
pdf = _pdf


def parse_record(line: bytes) -> Record:
    """One line (with its newline) as a typed record, or RecordError saying what is wrong."""
    if not line.endswith(b"\n"):
        raise RecordError("the last line has no newline")
    if not line.strip():
        raise RecordError("blank line")
    # orjson reads a valid line several times as fast as json. What it refuses (a lone
    # surrogate, NaN, a number out of a double's range) goes the standard library's way, so
    # the lines accepted and the errors reported stay json's. (An integer beyond 64 bits
    # comes back as a float, not an int: every integer field refuses both.)
    try:
        value = orjson.loads(line) if line.startswith(b'{"') else _FAST_MISS
    except orjson.JSONDecodeError:
        value = _FAST_MISS
    if value is _FAST_MISS:
        try:
            if line.startswith(b'{"'):
                # What json.loads(bytes) does for a line that starts so (UTF-8 detected),
                # minus the detection: the same value and the same errors.
                value = _DECODER.decode(line.decode("utf-8", "surrogatepass"))
            else:
                value = json.loads(line)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise RecordError(f"not UTF-8 JSON ({exc})") from None
    if not isinstance(value, dict):
        raise RecordError("not a JSON object")
    record_type = value.get("type")
    if not isinstance(record_type, str) or record_type not in SCHEMAS:
        raise RecordError(f"unknown record type {record_type!r}")
    raw_id = value.get("id")
    try:
        if not isinstance(raw_id, str):
            raise ValueError
        record_id = uuid.UUID(raw_id)
    except ValueError:
        raise RecordError(f"id {raw_id!r} is not a UUID") from None
    try:
        at = _time(value.get("at"))
    except RecordError as exc:
        raise RecordError(f"at {exc}") from None
    data = value.get("data")
    if not isinstance(data, dict):
        raise RecordError("data is not a JSON object")
    parsed: dict[str, Any] = {}
    for name, check in SCHEMAS[record_type].items():
        if name not in data:
            raise RecordError(f"{record_type}: missing field {name!r}")
        try:
            parsed[name] = check(data[name])
        except RecordError as exc:
            raise RecordError(f"{record_type}: {name} {exc}") from None
    return Record(id=record_id, type=record_type, at=at, data=parsed)

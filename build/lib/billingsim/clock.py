"""Timestamps: RFC 3339 on the wire, always UTC with a trailing Z when we write."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

# The full RFC 3339 shape with field ranges. Leap seconds (":60") are legal
# RFC 3339 but Python cannot hold them, so they are refused here.
_RFC3339 = re.compile(
    r"(\d{4}-\d{2}-\d{2})[Tt](?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?"
    r"([Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)"
)
_UTC_ZONES = frozenset({"Z", "z", "+00:00", "-00:00"})
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PERIOD = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
# Calendar dates already found valid: a package's timestamps share few dates, and
# skipping date parsing matters at a million records. Bounded to stay flat.
_valid_dates: set[str] = set()


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def format_utc(moment: datetime) -> str:
    """Whole seconds, UTC, 'Z' suffix: '2026-11-24T10:15:00Z'."""
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_rfc3339(value: object, utc_only: bool = True) -> None:
    """Validate an RFC 3339 timestamp; raise ValueError with a readable reason.

    Record `at` stamps must be UTC (the contract says so); payment moments are
    only said to be timestamps, so any offset is accepted there.
    """
    if not isinstance(value, str):
        raise ValueError(f"timestamp must be a string, got {type(value).__name__}")
    match = _RFC3339.fullmatch(value)
    if not match:
        raise ValueError(f"not an RFC 3339 timestamp: {value!r}")
    if utc_only and match.group(2) not in _UTC_ZONES:
        raise ValueError(f"timestamp must be UTC ('Z'), got {value!r}")
    day = match.group(1)
    if day not in _valid_dates:
        try:
            date.fromisoformat(day)
        except ValueError as exc:
            raise ValueError(f"impossible date in {value!r}: {exc}") from None
        if len(_valid_dates) >= 4096:
            _valid_dates.clear()
        _valid_dates.add(day)


def parse_rfc3339(value: object, utc_only: bool = True) -> datetime:
    """Validate, then convert to an aware UTC datetime."""
    check_rfc3339(value, utc_only)
    assert isinstance(value, str)
    # fromisoformat wants upper-case 'T' and 'Z'.
    return datetime.fromisoformat(value.upper()).astimezone(UTC)


def parse_date(value: object) -> date:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise ValueError(f"date must be a 'YYYY-MM-DD' string, got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"impossible date {value!r}: {exc}") from None


def parse_period(value: str) -> tuple[int, int]:
    """'2026-11' -> (2026, 11)."""
    match = _PERIOD.fullmatch(value)
    if not match:
        raise ValueError(f"period must be YYYY-MM, got {value!r}")
    return int(match.group(1)), int(match.group(2))

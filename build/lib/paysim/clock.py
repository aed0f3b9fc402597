"""Time helpers: the JSON wire format is RFC 3339 UTC with whole seconds."""

from __future__ import annotations

from datetime import UTC, datetime


def rfc3339(epoch: float) -> str:
    return datetime.fromtimestamp(int(epoch), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_or_none(epoch: float | None) -> str | None:
    return None if epoch is None else rfc3339(epoch)

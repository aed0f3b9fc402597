from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest

logger = logging.getLogger("kabinet.security")


def security_event(event: str, request: HttpRequest | None = None, **fields: Any) -> None:
    """One log line per security event, with what is needed to investigate and no secrets."""
    parts = [f"event={event}"]
    if request is not None:
        user = getattr(request, "user", None)
        parts.append(f"ip={request.META.get('REMOTE_ADDR', '-')}")
        parts.append(f"path={request.path}")
        parts.append(f"user={user.pk if user is not None and user.is_authenticated else '-'}")
    parts.extend(f"{key}={value}" for key, value in fields.items())
    logger.warning(" ".join(parts))

"""Security events and the client's address: one helper each, used everywhere."""

from __future__ import annotations

import ipaddress
import logging
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest

logger = logging.getLogger("kabinet.security")

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[_Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.7:5123"
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def address_in(address: str, networks: list[str] | tuple[str, ...]) -> bool:
    """Whether ``address`` (as ``client_address`` gives it) is in one of ``networks``."""
    parsed = _parse(address)
    return parsed is not None and any(parsed in net for net in _networks(tuple(networks)))


def client_address(request: HttpRequest) -> str:
    """The address of whoever sent the request, as limits and logs must see it.

    ``X-Forwarded-For`` is only believed when the connection comes from a proxy listed in
    ``KABINET_TRUSTED_PROXIES``; the header is then read from the right, skipping the
    trusted proxies, and the first other address is the client. Anything to the left of it
    was written by the client and may be forged, so it is never used.
    """
    remote = _parse(request.META.get("REMOTE_ADDR", "") or "")
    if remote is None:
        return "unknown"
    trusted = _networks(tuple(settings.KABINET_TRUSTED_PROXIES))
    if not trusted or not any(remote in net for net in trusted):
        return str(remote)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop for hop in (part.strip() for part in forwarded.split(",")) if hop]
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            # A garbled hop: stop at the last address a trusted proxy vouched for.
            break
        remote = address
        if not any(address in net for net in trusted):
            break
    return str(remote)


def safe_next_url(request: HttpRequest, target: str | None, fallback: str) -> str:
    """``target`` when it stays on this site (a path here or this host), else ``fallback``.

    Every ``next=`` and return URL goes through this: no other host, no ``//host``, no
    ``/\\host``, no ``javascript:``.
    """
    from django.utils.http import url_has_allowed_host_and_scheme

    target = (target or "").strip()
    # Only a path on this site: anything else ("foo") would be taken for a URL name by
    # ``redirect``, and a full URL is never needed for a return address.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def security_event(event: str, request: HttpRequest | None = None, **fields: Any) -> None:
    """One log line per security event, with what is needed to investigate and no secrets.

    Callers pass names and outcomes, never passwords, tokens or whole signatures.
    """
    parts = [f"event={event}"]
    if request is not None:
        user = getattr(request, "user", None)
        try:
            user_id = user.pk if user is not None and user.is_authenticated else "-"
        except Exception:  # the session store may be what failed
            user_id = "?"
        parts.append(f"ip={client_address(request)}")
        parts.append(f"method={request.method}")
        parts.append(f"path={request.path[:300]}")
        parts.append(f"user={user_id}")
    parts.extend(f"{key}={_clean(value)}" for key, value in fields.items())
    logger.warning(" ".join(parts))


def _clean(value: Any) -> str:
    """One field per key: control characters dropped, values with spaces quoted."""
    text = "".join(ch if ch.isprintable() else "?" for ch in str(value))[:200]
    if not text or any(ch.isspace() or ch == '"' for ch in text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text

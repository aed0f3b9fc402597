"""Terminal protocol client: paysim as the terminal network asking the website."""

from __future__ import annotations

import random
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from paysim.httpclient import signed_request
from paysim.signing import Signer, Verifier

TERMINAL_PATH = "/pay/terminal/"
ACTIONS = ("check", "payment", "status", "cancel")


class NoResponseError(Exception):
    """No answer we can trust: network failure, unsigned or badly signed, or unparsable."""


@dataclass(frozen=True)
class TerminalAnswer:
    http_status: int
    code: int
    authcode: str
    date: str
    message: str


def new_receipt() -> str:
    """A fresh transaction number: 13 digits, time-ordered, within the spec's 3-20 digits."""
    return f"{int(time.time())}{random.randrange(1000):03d}"


def gateway_time() -> str:
    """The gateway's clock in the spec's `YYYY-MM-DDTHH:MM:SS`; paysim's clock is UTC."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def terminal_url(site_url: str) -> str:
    return site_url.rstrip("/") + TERMINAL_PATH


def send_terminal_request(
    *,
    site_url: str,
    signer: Signer,
    verifier: Verifier,
    fields: dict[str, str],
    method: str = "POST",
    timeout: float = 30.0,
) -> TerminalAnswer:
    """Send one signed terminal request and return the verified answer."""
    url = terminal_url(site_url)
    encoded = urlencode(fields)
    if method == "GET":
        url, body, headers = f"{url}?{encoded}", b"", {}
    else:
        body = encoded.encode("ascii")
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
    try:
        exchange = signed_request(
            signer=signer,
            verifier=verifier,
            method=method,
            url=url,
            body=body,
            headers=headers,
            timeout=timeout,
        )
    except OSError as exc:
        raise NoResponseError(f"no answer from {url}: {exc}") from exc
    if exchange.error is not None:
        raise NoResponseError(
            f"HTTP {exchange.response.status} answer is not trusted: {exchange.error.message}"
        )
    return parse_answer(exchange.response.status, exchange.response.body)


def parse_answer(http_status: int, body: bytes) -> TerminalAnswer:
    """Parse an answer whose signature has already been verified (so the peer is trusted)."""
    try:
        # Only signed answers from the trusted website get here; expat refuses external
        # entities and limits entity expansion, and defusedxml is not a dependency.
        root = ET.fromstring(body)  # noqa: S314
    except ET.ParseError as exc:
        raise NoResponseError(f"answer is not XML: {exc}") from exc
    if root.tag != "response":
        raise NoResponseError(f"answer root is <{root.tag}>, expected <response>")
    code_text = (root.findtext("code") or "").strip()
    try:
        code = int(code_text)
    except ValueError:
        raise NoResponseError(f"answer has no integer <code> (got {code_text!r})") from None
    return TerminalAnswer(
        http_status=http_status,
        code=code,
        authcode=(root.findtext("authcode") or "").strip(),
        date=(root.findtext("date") or "").strip(),
        message=(root.findtext("message") or "").strip(),
    )


def build_fields(
    action: str,
    *,
    number: str | None = None,
    amount: str | None = None,
    receipt: str | None = None,
    date: str | None = None,
) -> dict[str, str]:
    """The form fields in the spec's order; absent optional values are left out."""
    fields = {"action": action}
    for name, value in (("number", number), ("amount", amount), ("receipt", receipt)):
        if value is not None:
            fields[name] = value
    fields["date"] = date or gateway_time()
    return fields

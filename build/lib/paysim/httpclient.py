"""A minimal signed HTTP client on http.client (no redirects: a redirect is not an answer)."""

from __future__ import annotations

import http.client
from dataclasses import dataclass
from urllib.parse import urlsplit

from paysim.signing import HEADER_SIGNATURE, SignatureError, Signer, Verifier


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class SignedExchange:
    """A request we signed and the answer we got; `error` says why the answer is untrusted."""

    request_signature: str
    response: HttpResponse
    error: SignatureError | None

    @property
    def trusted(self) -> bool:
        return self.error is None


def request_target(url: str) -> str:
    """The path?query exactly as it goes on the request line (and into the signature)."""
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return target


def send(
    method: str, url: str, headers: dict[str, str], body: bytes, timeout: float
) -> HttpResponse:
    """Send one request; network failures raise OSError (http.client errors included)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OSError(f"unsupported URL {url!r}")
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    conn = connection_class(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request(method, request_target(url), body=body or None, headers=headers)
        response = conn.getresponse()
        payload = response.read()
        return HttpResponse(response.status, dict(response.getheaders()), payload)
    except http.client.HTTPException as exc:
        raise OSError(f"HTTP error: {exc}") from exc
    finally:
        conn.close()


def signed_request(
    *,
    signer: Signer,
    verifier: Verifier,
    method: str,
    url: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> SignedExchange:
    """Sign, send, and check that the answer is signed and tied to this request."""
    signature_headers = signer.sign_request(method, request_target(url), body)
    all_headers = {**(headers or {}), **signature_headers}
    if body:
        all_headers.setdefault("Content-Length", str(len(body)))
    response = send(method, url, all_headers, body, timeout)
    request_signature = signature_headers[HEADER_SIGNATURE]
    try:
        verifier.verify_response(response.headers, request_signature, response.body)
        error = None
    except SignatureError as exc:
        error = exc
    return SignedExchange(request_signature, response, error)

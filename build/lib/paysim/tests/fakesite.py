"""A tiny stand-in for the website: verifies the gateway's signatures and answers signed."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from paysim.signing import HEADER_SIGNATURE, SignatureError, Signer, Verifier


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    signature_error: str | None

    def json(self) -> dict:
        return json.loads(self.body)


# How the fake site answers one request: (status, body, how to sign: "ok"|"none"|"wrong").
Answer = tuple[int, bytes, str]
Responder = Callable[[Received], Answer]


@dataclass
class FakeSite:
    signer: Signer
    verifier: Verifier
    wrong_signer: Signer
    responder: Responder
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.socket.getsockname()[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._handle()

            def do_POST(self) -> None:
                self._handle()

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _handle(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = dict(self.headers.items())
                try:
                    site.verifier.verify_request(headers, self.command, self.path, body)
                    error = None
                except SignatureError as exc:
                    error = exc.check
                request = Received(self.command, self.path, headers, body, error)
                with site.lock:
                    site.received.append(request)
                status, answer, signing = site.responder(request)
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                request_signature = headers.get(HEADER_SIGNATURE, "")
                if signing != "none":
                    signer = site.signer if signing == "ok" else site.wrong_signer
                    for name, value in signer.sign_response(request_signature, answer).items():
                        self.send_header(name, value)
                self.end_headers()
                self.wfile.write(answer)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def events(self) -> list[dict]:
        with self.lock:
            return [r.json() for r in self.received if r.signature_error is None]


def acknowledge(request: Received) -> Answer:
    """What a correct website answers once it has recorded the event."""
    return 200, b'{"received": true}', "ok"

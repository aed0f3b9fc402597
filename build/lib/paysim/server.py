"""The gateway process: HTTP server, notification dispatcher and hold-expiry sweeper."""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from paysim.api import ApiResponse, error_response, handle_api
from paysim.config import Config
from paysim.db import Database
from paysim.notify import RETRY_SCHEDULE, Dispatcher, Outbox
from paysim.pages import CardForm, card_page, not_found_page, overview_page
from paysim.payments import Gateway, NotFoundError, WrongStateError
from paysim.signing import HEADER_SIGNATURE, SignatureError, Signer, Verifier

log = logging.getLogger("paysim.server")
security_log = logging.getLogger("paysim.security")
access_log = logging.getLogger("paysim.http")

MAX_BODY = 1024 * 1024
_CARD_PAGE_RE = re.compile(r"/pay/([^/]+)/?")


class PaysimApp:
    """Everything one `paysim serve` runs; tests start it on port 0 in-process."""

    def __init__(
        self,
        config: Config,
        *,
        signer: Signer | None = None,
        verifier: Verifier | None = None,
        outbox: Outbox | None = None,
        retry_schedule: Sequence[float] = RETRY_SCHEDULE,
        notify_timeout: float = 10.0,
        sweep_interval: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        # Keys first: a misconfigured start should fail before it creates a database file.
        self.signer = signer or config.signer()
        self.verifier = verifier or config.verifier()
        self.db = Database(config.db_path)
        self.outbox = outbox or Outbox(chaos=config.chaos)
        self.gateway = Gateway(
            self.db,
            self.outbox,
            merchant_id=config.merchant_id,
            public_url=config.public_url or "",
            hold_seconds=config.hold_seconds,
            clock=clock,
        )
        self.dispatcher = Dispatcher(
            self.db,
            self.signer,
            self.verifier,
            self.outbox.wake,
            schedule=retry_schedule,
            timeout=notify_timeout,
        )
        self.sweep_interval = sweep_interval
        self.httpd: PaysimHTTPServer | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return self.gateway.public_url

    def bind(self, host: str = "127.0.0.1", port: int = 8001) -> None:
        self.httpd = PaysimHTTPServer((host, port), RequestHandler, self)
        if not self.config.public_url:
            bound_host, bound_port = self.httpd.socket.getsockname()[:2]
            # A wildcard bind is not an address a browser can be sent to.
            unspecified = ipaddress.ip_address(bound_host).is_unspecified
            shown = "127.0.0.1" if unspecified else bound_host
            self.gateway.public_url = f"http://{shown}:{bound_port}"

    def start_background(self) -> None:
        """Start the dispatcher and the expiry sweeper (they resume whatever SQLite holds)."""
        self.dispatcher.start()
        sweeper = threading.Thread(target=self._sweep_loop, name="paysim-expiry", daemon=True)
        sweeper.start()
        self._threads.append(sweeper)

    def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve from a background thread (used by tests and embedding)."""
        self.bind(host, port)
        self.start_background()
        assert self.httpd is not None
        # A short poll interval makes stop() quick; an idle poll costs next to nothing.
        server = threading.Thread(
            target=self.httpd.serve_forever, args=(0.02,), name="paysim-http", daemon=True
        )
        server.start()
        self._threads.append(server)

    def serve_forever(self, host: str, port: int) -> None:
        self.bind(host, port)
        self.start_background()
        assert self.httpd is not None
        log.info("paysim listening on %s (public URL %s)", self.httpd.server_address, self.url)
        try:
            self.httpd.serve_forever()
        except KeyboardInterrupt:
            log.info("stopping")
        finally:
            self.stop()

    def stop(self) -> None:
        self._stop.set()
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
        self.dispatcher.stop()
        for thread in self._threads:
            thread.join(timeout=5)

    def _sweep_loop(self) -> None:
        while not self._stop.wait(self.sweep_interval):
            try:
                expired = self.gateway.expire_due()
                if expired:
                    log.info("%d hold(s) expired", expired)
            except Exception:
                log.exception("expiry sweep failed")


class PaysimHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        app: PaysimApp,
    ) -> None:
        self.app = app
        super().__init__(address, handler)


class RequestHandler(BaseHTTPRequestHandler):
    server: PaysimHTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "paysim/1"

    @property
    def app(self) -> PaysimApp:
        return self.server.app

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def log_message(self, format: str, *args: object) -> None:
        access_log.info("%s %s", self.address_string(), format % args)

    def _dispatch(self, method: str) -> None:
        # One request per connection keeps shutdown simple; nothing here needs keep-alive.
        self.close_connection = True
        try:
            path = urlsplit(self.path).path
            body = self._read_body()
            if body is None:
                return
            if path.startswith("/api/"):
                self._api(method, body)
            elif path == "/healthz" and method == "GET":
                self._send(200, b"ok", "text/plain; charset=utf-8")
            elif path == "/" and method == "GET":
                config = self.app.config
                page = overview_page(self.app.db, config.merchant_id, config.chaos)
                self._send(200, page, "text/html; charset=utf-8")
            elif (match := _CARD_PAGE_RE.fullmatch(path)) and method in ("GET", "POST"):
                self._card_page(method, match.group(1), body)
            else:
                self._send(404, b"not found", "text/plain; charset=utf-8")
        except Exception:
            log.exception("error handling %s %s", method, self.path)
            self._send(500, b"internal error", "text/plain; charset=utf-8")

    def _read_body(self) -> bytes | None:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            self._send(411, b"Content-Length required", "text/plain; charset=utf-8")
            return None
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self._send(413, b"bad or too large Content-Length", "text/plain; charset=utf-8")
            return None
        return self.rfile.read(length) if length else b""

    def _api(self, method: str, body: bytes) -> None:
        headers = dict(self.headers.items())
        request_signature = self.headers.get(HEADER_SIGNATURE)
        try:
            # Checked before anything else in the request is looked at.
            self.app.verifier.verify_request(headers, method, self.path, body)
        except SignatureError as exc:
            security_log.warning(
                "rejected %s %s from %s: %s (%s)",
                method,
                self.path,
                self.client_address[0],
                exc.check,
                exc.message,
            )
            response = error_response(403, "signature_invalid", exc.message, check=exc.check)
        else:
            try:
                response = handle_api(self.app.gateway, method, self.path, headers, body)
            except Exception:
                log.exception("API error on %s %s", method, self.path)
                response = error_response(500, "internal_error", "internal error, retry later")
        self._send_api(response, request_signature)

    def _send_api(self, response: ApiResponse, request_signature: str | None) -> None:
        extra: dict[str, str] = {}
        # A response can only be tied to a request that carried a signature value.
        if request_signature:
            extra = self.app.signer.sign_response(request_signature, response.body)
        self._send(response.status, response.body, "application/json; charset=utf-8", extra)

    def _card_page(self, method: str, payment_id: str, body: bytes) -> None:
        gateway = self.app.gateway
        merchant = gateway.merchant_id
        payment = gateway.find(payment_id)
        if payment is None:
            self._send(404, not_found_page(), "text/html; charset=utf-8")
            return
        if method == "GET":
            self._send(200, card_page(payment, merchant), "text/html; charset=utf-8")
            return
        form = CardForm.from_post(parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True))
        if form.errors or form.normalized_number is None:
            self._send(400, card_page(payment, merchant, form), "text/html; charset=utf-8")
            return
        # A second submit (double click, back button) just goes back to the shop.
        with contextlib.suppress(WrongStateError, NotFoundError):
            payment = gateway.pay_by_card(payment_id, form.normalized_number)
        self._send(302, b"", "text/plain; charset=utf-8", {"Location": payment.return_url})

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str,
        extra_headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        for name, value in (extra_headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

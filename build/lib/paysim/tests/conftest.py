"""Fixtures: two key pairs (gateway, website), an in-process gateway, a fake website."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from paysim.config import Config
from paysim.httpclient import HttpResponse, send, signed_request
from paysim.notify import Outbox
from paysim.server import PaysimApp
from paysim.signing import Signer, Verifier, private_pem, public_pem
from paysim.tests.fakesite import FakeSite, Responder, acknowledge

MERCHANT = "kabinet-demo"


@dataclass
class KeyPair:
    private_key: Ed25519PrivateKey
    private_path: Path
    public_path: Path

    @property
    def signer(self) -> Signer:
        return Signer(self.private_key)

    @property
    def verifier(self) -> Verifier:
        return Verifier([self.private_key.public_key()])


def _key_pair(directory: Path, name: str) -> KeyPair:
    key = Ed25519PrivateKey.generate()
    directory.mkdir(parents=True, exist_ok=True)
    private_path = directory / f"{name}.pem"
    public_path = directory / f"{name}.pub.pem"
    private_path.write_bytes(private_pem(key))
    public_path.write_bytes(public_pem(key.public_key()))
    return KeyPair(key, private_path, public_path)


@pytest.fixture
def gateway_keys(tmp_path: Path) -> KeyPair:
    return _key_pair(tmp_path / "keys", "gateway")


@pytest.fixture
def site_keys(tmp_path: Path) -> KeyPair:
    return _key_pair(tmp_path / "keys", "site")


@pytest.fixture
def stranger_keys(tmp_path: Path) -> KeyPair:
    """A key nobody trusts."""
    return _key_pair(tmp_path / "keys", "stranger")


class FakeClock:
    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


AppFactory = Callable[..., PaysimApp]


@pytest.fixture
def make_app(tmp_path: Path, gateway_keys: KeyPair, site_keys: KeyPair) -> Iterator[AppFactory]:
    apps: list[PaysimApp] = []

    def factory(
        *,
        hold_seconds: int = 3600,
        chaos: frozenset[str] = frozenset(),
        outbox: Outbox | None = None,
        clock: Callable[[], float] = time.time,
        sweep_interval: float = 0.1,
        retry_schedule: tuple[float, ...] = (0.05,),
        db_name: str = "paysim.sqlite3",
    ) -> PaysimApp:
        config = Config(
            db_path=tmp_path / db_name,
            merchant_id=MERCHANT,
            hold_seconds=hold_seconds,
            chaos=chaos,
        )
        app = PaysimApp(
            config,
            signer=gateway_keys.signer,
            verifier=site_keys.verifier,
            outbox=outbox,
            retry_schedule=retry_schedule,
            notify_timeout=2.0,
            sweep_interval=sweep_interval,
            clock=clock,
        )
        app.start("127.0.0.1", 0)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.stop()


@pytest.fixture
def make_site(gateway_keys: KeyPair, site_keys: KeyPair, stranger_keys: KeyPair):
    sites: list[FakeSite] = []

    def factory(responder: Responder = acknowledge) -> FakeSite:
        site = FakeSite(
            signer=site_keys.signer,
            verifier=gateway_keys.verifier,
            wrong_signer=stranger_keys.signer,
            responder=responder,
        )
        site.start()
        sites.append(site)
        return site

    yield factory
    for site in sites:
        site.stop()


@dataclass
class ApiResult:
    status: int
    json: Any
    response: HttpResponse
    trusted: bool


class ApiClient:
    """The website's side of the card protocol, as a test helper."""

    def __init__(self, app: PaysimApp, site_keys: KeyPair, gateway_keys: KeyPair) -> None:
        self.app = app
        self.signer = site_keys.signer
        self.verifier = gateway_keys.verifier

    def call(
        self,
        method: str,
        path: str,
        payload: Any = None,
        *,
        idempotency_key: str | None = "auto",
        signer: Signer | None = None,
    ) -> ApiResult:
        body = b"" if payload is None else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        if method == "POST" and idempotency_key is not None:
            headers["Idempotency-Key"] = (
                str(uuid.uuid4()) if idempotency_key == "auto" else idempotency_key
            )
        exchange = signed_request(
            signer=signer or self.signer,
            verifier=self.verifier,
            method=method,
            url=self.app.url + path,
            body=body,
            headers=headers,
        )
        data = json.loads(exchange.response.body) if exchange.response.body else None
        return ApiResult(exchange.response.status, data, exchange.response, exchange.trusted)

    def create(self, notify_url: str = "http://127.0.0.1:9/notify", **overrides: Any) -> str:
        result = self.call("POST", "/api/v1/payments", payment_request(notify_url, **overrides))
        assert result.status == 201, result.json
        return result.json["payment_id"]

    def pay(self, payment_id: str, card: str = "4111 1111 1111 1111") -> HttpResponse:
        form = f"card_number={card.replace(' ', '+')}&expiry=12%2F30&cvc=123&holder=IVAN"
        return send(
            "POST",
            f"{self.app.url}/pay/{payment_id}",
            {"Content-Type": "application/x-www-form-urlencoded"},
            form.encode(),
            timeout=5,
        )

    def get(self, payment_id: str) -> dict[str, Any]:
        result = self.call("GET", f"/api/v1/payments/{payment_id}")
        assert result.status == 200 and result.trusted
        return result.json


def payment_request(notify_url: str = "http://127.0.0.1:9/notify", **overrides: Any) -> dict:
    return {
        "merchant_id": MERCHANT,
        "order_id": str(uuid.uuid4()),
        "account": "100001",
        "amount": "1500.00",
        "currency": "RUB",
        "description": "Payment for contract 100001",
        "return_url": "http://127.0.0.1:8000/pay/return/abc/",
        "notify_url": notify_url,
        **overrides,
    }


@pytest.fixture
def make_client(site_keys: KeyPair, gateway_keys: KeyPair) -> Callable[[PaysimApp], ApiClient]:
    return lambda app: ApiClient(app, site_keys, gateway_keys)


def wait_for(condition: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Poll until condition() is truthy; background threads make exact timing unknowable."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.02)

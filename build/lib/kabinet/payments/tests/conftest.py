"""Keys, the gateway peer and the fake gateway for the payment tests."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kabinet.lib.signing import generate_key_pair
from kabinet.payments.models import Channel, Payment, PaymentStatus

from .peer import FakeGateway, PeerKey, SitePeer, load_public


@pytest.fixture
def gateway_key() -> PeerKey:
    return PeerKey()


@pytest.fixture(autouse=True)
def site_keys(tmp_path, settings, gateway_key):
    """The website's own key made as `manage.py keys generate` makes it; the peer's key
    made by the peer. Each side trusts the other's public key."""
    private, public, _kid = generate_key_pair(tmp_path / "keys", "site")
    _gw_private, gw_public = gateway_key.write(tmp_path / "keys", "gateway")
    settings.KABINET_SITE_PRIVATE_KEY = str(private)
    settings.KABINET_GATEWAY_PUBLIC_KEYS = [str(gw_public)]
    settings.KABINET_MERCHANT_ID = "kabinet-test"
    settings.KABINET_MONEYBACK_HOURS = 3
    settings.KABINET_GATEWAY_TIMEOUT = 3
    return public


@pytest.fixture
def site_public(site_keys):
    return load_public(site_keys)


@pytest.fixture
def peer(client, gateway_key, site_public) -> SitePeer:
    return SitePeer(client, gateway_key, site_public)


@pytest.fixture
def gateway(settings, gateway_key, site_public):
    fake = FakeGateway(gateway_key, site_public, "kabinet-test").start()
    settings.KABINET_GATEWAY_URL = fake.url
    yield fake
    fake.stop()


@pytest.fixture
def closed_port_url() -> str:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def make_payment(company):
    """A card payment as the pay page leaves it, without asking the gateway."""

    def make(client=None, amount="1500.00", **fields) -> Payment:
        return Payment.objects.create(
            client=client or company,
            channel=Channel.CARD,
            status=fields.pop("status", PaymentStatus.PENDING),
            amount=Decimal(amount),
            **fields,
        )

    return make


@pytest.fixture
def start_payment(gateway, company):
    """A card payment created at the (fake) gateway, as the pay page creates it."""
    from kabinet.payments.services import payment_start_card

    def start(amount: str = "1500.00", client=None) -> Payment:
        return payment_start_card(client=client or company, amount=Decimal(amount))

    return start


@pytest.fixture
def held_payment(start_payment, gateway, peer):
    """A card payment authorised at the gateway, the website told by a signed event."""

    def hold(amount: str = "1500.00", client=None) -> Payment:
        payment = start_payment(amount, client)
        reply = peer.notify(gateway.authorize(payment.gateway_payment_id))
        assert reply.status == 200, reply.body
        payment.refresh_from_db()
        return payment

    return hold

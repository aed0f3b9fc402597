from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .peer import BillingPeer, write_key_pair


@pytest.fixture
def site_key(tmp_path, settings) -> Ed25519PrivateKey:
    private, private_path, _public = write_key_pair(tmp_path, "site")
    settings.KABINET_SITE_PRIVATE_KEY = str(private_path)
    return private


@pytest.fixture
def peer(tmp_path, settings, site_key) -> BillingPeer:
    billing = BillingPeer(tmp_path)
    settings.KABINET_BILLING_PUBLIC_KEYS = [str(billing.public_path)]
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return billing

from kabinet.exchange.tests.conftest import peer, site_key

__all__ = ["peer", "site_key"]

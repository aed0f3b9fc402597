from kabinet.calls.tests.conftest import make_call
from kabinet.exchange.tests.conftest import peer, site_key

__all__ = ["make_call", "peer", "site_key"]

"""paysim: a payment-gateway simulator speaking specs/payment-gateway.md (gateway side)."""

__version__ = "1.0.0"

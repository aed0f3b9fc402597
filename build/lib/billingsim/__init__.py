"""billingsim: a command-line stand-in for the operator's billing server.

It speaks the billing side of the exchange-package contract in
/work/shared/specs/billing-exchange.md (format 1): it imports `site-to-billing`
packages and writes `billing-to-site` packages.
"""

__version__ = "0.1.0"

"""What the catalog tells other apps. Sent inside the transaction of the change.

The billing exchange listens (kabinet.exchange.outbound); the catalog knows nothing of billing.
"""

from django.dispatch import Signal

# A tariff was created or changed, or got a new price version. kwargs: ``tariff``,
# ``version`` (the price version billing must know, or None for a tariff without prices).
tariff_changed = Signal()

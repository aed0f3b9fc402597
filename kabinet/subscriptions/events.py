"""What subscriptions tell other apps. Sent inside the transaction of the change.

The billing exchange listens (kabinet.exchange.outbound); subscriptions know nothing of billing.
"""

from django.dispatch import Signal

# A subscription was connected or changed (tariff, parameters, status). kwargs: ``subscription``.
subscription_changed = Signal()

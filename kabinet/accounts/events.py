"""What accounts tells other apps. Sent inside the transaction of the change.

The billing exchange listens (kabinet.exchange.outbound) and records what billing must know;
accounts itself knows nothing of billing.
"""

from django.dispatch import Signal

# A client was created or changed. kwargs: ``client``; ``before``, the audit snapshot of
# the client's fields before the change (None for a new client or a status change).
client_changed = Signal()

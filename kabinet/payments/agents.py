"""Agent networks (providers/osmp.py and the like): a payment accepted by an agent is
credited at once, and each agent transaction applies once."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from kabinet.accounts.models import Client

from .models import (
    AgentTransaction,
    Channel,
    Method,
    Payment,
    PaymentStatus,
)
from .state import atomic_retrying, credit_final

# --- agent networks (providers/osmp.py and the like) ---------------------------------------


class AgentTxnConflict(Exception):
    """The agent's transaction id was used before with another account or sum."""


@dataclass(frozen=True)
class AgentAccepted:
    payment: Payment
    transaction: AgentTransaction
    repeated: bool  # the agent sent this transaction before: nothing more was credited


def payment_accept_agent(
    *, provider: str, txn_id: str, client: Client, amount: Decimal, txn_date: str
) -> AgentAccepted:
    """Credit a payment an agent network accepted. Final at once; idempotent on the network's
    transaction id, also when the same id arrives on several connections at the same moment:
    the unique (provider, txn_id) lets exactly one insert through, the others answer as it."""
    return atomic_retrying(lambda: _accept(provider, txn_id, client, amount, txn_date))


def _accept(
    provider: str, txn_id: str, client: Client, amount: Decimal, txn_date: str
) -> AgentAccepted:
    # No savepoint around the inserts: a concurrent request that committed this transaction
    # id first makes them fail, and ``atomic_retrying`` runs this again to answer as it did.
    with transaction.atomic(savepoint=False):
        existing = _agent_txn(provider, txn_id)
        if existing is not None:
            return _agent_repeat(existing, client, amount)
        now = timezone.now()
        payment = Payment(
            client=client,
            channel=Channel.TERMINAL,
            provider=provider,
            method=Method.TERMINAL,
            status=PaymentStatus.ACCEPTED,
            amount=amount,
            captured_amount=amount,
            receipt=f"{provider}:{txn_id}",
            terminal_date=txn_date[:19],
            accepted_at=now,
            captured_at=now,
        )
        credit_final(
            payment,
            at=now,
            how=gettext_lazy("Paid through a payment agent under contract %(contract)s."),
        )
        txn = AgentTransaction.objects.create(
            provider=provider,
            txn_id=txn_id,
            account=client.contract_number,
            amount=amount,
            txn_date=txn_date,
            payment=payment,
        )
    return AgentAccepted(payment, txn, repeated=False)


def _agent_txn(provider: str, txn_id: str) -> AgentTransaction | None:
    return (
        AgentTransaction.objects.select_for_update(of=("self",))
        .select_related("payment")
        .filter(provider=provider, txn_id=txn_id)
        .first()
    )


def _agent_repeat(txn: AgentTransaction, client: Client, amount: Decimal) -> AgentAccepted:
    if txn.account != client.contract_number or txn.amount != amount:
        raise AgentTxnConflict(f"txn_id {txn.txn_id} was paid to {txn.account} for {txn.amount}")
    return AgentAccepted(txn.payment, txn, repeated=True)

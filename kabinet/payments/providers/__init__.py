"""Payment providers: the networks that take money, behind one small interface each.

The shared core owns the state machine, the ledger, notices, audit and the billing outbox
(``kabinet.payments.state``), and the card flow: the money-back window, automatic capture,
managers' void and refund (``kabinet.payments.services``); agent networks credit through
``kabinet.payments.agents``. A provider only speaks its network's protocol:

* a **card provider** (``CardProvider``) builds and sends the calls the core stores as
  operations (create, capture, void, refund — each with its idempotency key stored before
  the first try), reads a payment back from the network, and answers with the payment in
  the core's canonical form: the payment object of ``specs/payment-gateway.md``
  (``payment_id``, ``order_id``, ``status`` pending/authorized/captured/refunded/declined/
  voided/expired, ``amount``, ``captured_amount``, ``refunded_amount``, ``currency``,
  ``capture_before``). Translating its network's statuses into that form is the provider's
  whole job; the core never sees the network's own words.
* an **agent provider** answers an agent network's requests (``handle``) and credits
  accepted payments through the core.

Which providers run comes from ``KABINET_PAYMENT_PROVIDERS``; each reads its own settings.
Adding a provider is a new module here and a line in ``_REGISTRY``; the core is untouched.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from django.conf import settings
from django.utils.functional import Promise

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse, QueryDict

    from ..gateway import GatewayAnswer
    from ..models import GatewayOperation, Payment


@dataclass(frozen=True)
class PayMethod:
    """One way to pay that a provider offers on /pay/ (a provider may offer several)."""

    provider: str
    method: str  # models.Method: card, sbp
    label: str | Promise
    # Held first and captured later (money-back = void), or paid at once (money-back = refund).
    two_stage: bool
    note: str | Promise = ""

    @property
    def key(self) -> str:
        return f"{self.provider}:{self.method}"


@dataclass(frozen=True)
class Request:
    """A call as the core stores it before the first try: where, and the exact body."""

    path: str
    body: bytes


@dataclass
class Started:
    """What the payer is sent to after a payment is created."""

    gateway_payment_id: str
    payment_url: str  # the network's page (redirect) or the bank link behind a QR code
    extra: dict[str, Any] = field(default_factory=dict)


class CardProvider(Protocol):
    code: str
    label: str | Promise

    def methods(self) -> list[PayMethod]: ...

    def create_request(self, payment: Payment, *, return_url: str, notify_url: str) -> Request: ...

    def capture_request(self, payment: Payment, amount: Any) -> Request: ...

    def void_request(self, payment: Payment, reason: str) -> Request: ...

    def refund_request(self, payment: Payment, amount: Any, reason: str) -> Request: ...

    def send(self, operation: GatewayOperation) -> GatewayAnswer:
        """Send a stored operation (same key, same body on every try); the answer's data is
        the canonical payment object. Raises GatewayUnavailable when there is no answer."""
        ...

    def started(self, answer: GatewayAnswer) -> Started | None:
        """The payment id and the payer's next address from a create's answer, or None."""
        ...

    def fetch(self, payment: Payment) -> GatewayAnswer:
        """Read the payment from the network (canonical payment object)."""
        ...


class AgentProvider(Protocol):
    code: str
    label: str | Promise

    def handle(self, request: HttpRequest, data: QueryDict) -> HttpResponse:
        """Answer one request of the network's protocol (``data``: its query or form)."""
        ...


# code → module path; the module has ``provider`` (a CardProvider or an AgentProvider).
_REGISTRY = {
    "kabinet": "kabinet.payments.providers.kabinet",
    "yookassa": "kabinet.payments.providers.yookassa",
    "osmp": "kabinet.payments.providers.osmp",
}


class UnknownProvider(LookupError):
    pass


def enabled() -> list[str]:
    """The providers turned on, in the order given (unknown names are refused at start-up)."""
    return [code for code in settings.KABINET_PAYMENT_PROVIDERS if code in _REGISTRY]


def get_provider(code: str) -> Any:
    """The provider object for ``code`` (enabled or not: old payments keep their provider)."""
    try:
        module = importlib.import_module(_REGISTRY[code])
    except KeyError:
        raise UnknownProvider(code) from None
    return module.provider


def card_provider(code: str) -> CardProvider:
    provider = get_provider(code)
    if not hasattr(provider, "send"):
        raise UnknownProvider(code)
    return provider  # type: ignore[no-any-return]


def pay_methods() -> list[PayMethod]:
    """Every way to pay by card or SBP that /pay/ and the cabinet offer, in settings order."""
    methods: list[PayMethod] = []
    for code in enabled():
        provider = get_provider(code)
        if hasattr(provider, "methods"):
            methods.extend(provider.methods())
    return methods


def pay_method(key: str) -> PayMethod | None:
    return next((m for m in pay_methods() if m.key == key), None)

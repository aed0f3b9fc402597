"""The rules engine: does a rule's every condition hold for a request?

Pure functions over already-loaded objects, so the same code decides new requests and
shows managers what a rule would have matched ("test this rule").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal

from kabinet.accounts.models import Client

from .models import Rule, ServiceRequest

BalanceOf = Callable[[Client], Decimal]


def rule_matches(rule: Rule, service_request: ServiceRequest, *, balance_of: BalanceOf) -> bool:
    """True when every condition the rule sets holds; an empty condition always holds."""
    if rule.kind and service_request.kind != rule.kind:
        return False
    if rule.service_id and service_request.service_id != rule.service_id:
        return False
    if rule.tariff_visibility:
        tariff = service_request.tariff
        if tariff is None or tariff.visibility != rule.tariff_visibility:
            return False
    if rule.client_status and service_request.client.status != rule.client_status:
        return False
    if rule.parameter_code and not _parameter_within(rule, service_request):
        return False
    # Last: the balance may cost a query.
    return not (
        rule.min_balance is not None and balance_of(service_request.client) < rule.min_balance
    )


def _parameter_within(rule: Rule, service_request: ServiceRequest) -> bool:
    """The request sets the rule's parameter to a whole number within the rule's limits."""
    parameters = service_request.parameters or {}
    if rule.parameter_code not in parameters:
        return False
    value = parameters[rule.parameter_code]
    if isinstance(value, bool) or not isinstance(value, int):
        return False
    if rule.parameter_min is not None and value < rule.parameter_min:
        return False
    return rule.parameter_max is None or value <= rule.parameter_max


def first_match(
    rules: Iterable[Rule], service_request: ServiceRequest, *, balance_of: BalanceOf
) -> Rule | None:
    """The first enabled rule, in order, whose conditions hold."""
    ordered = sorted((r for r in rules if r.is_enabled), key=lambda r: (r.position, r.pk or 0))
    for rule in ordered:
        if rule_matches(rule, service_request, balance_of=balance_of):
            return rule
    return None


def cached_balances(balance_of: BalanceOf) -> BalanceOf:
    """Ask for each client's balance once however many requests or rules need it."""
    seen: dict[int, Decimal] = {}

    def cached(client: Client) -> Decimal:
        if client.pk not in seen:
            seen[client.pk] = balance_of(client)
        return seen[client.pk]

    return cached

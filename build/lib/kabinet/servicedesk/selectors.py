"""Read queries of the service desk that need more than one line."""

from __future__ import annotations

from dataclasses import dataclass, field

from .balance import client_balance
from .models import Rule, ServiceRequest
from .rules import cached_balances, rule_matches

# How many of the latest requests "test this rule" looks at.
TRIAL_SIZE = 200


@dataclass
class TrialRow:
    request: ServiceRequest
    # An enabled rule earlier in the order that would have caught the request first.
    shadowed_by: Rule | None


@dataclass
class Trial:
    looked_at: int = 0
    rows: list[TrialRow] = field(default_factory=list)

    @property
    def matched(self) -> int:
        return len(self.rows)

    @property
    def would_act(self) -> int:
        return sum(1 for row in self.rows if row.shadowed_by is None)


def rule_trial(rule: Rule, *, size: int = TRIAL_SIZE) -> Trial:
    """Which of the latest requests the rule would have matched, judged as of now.

    The client's status and balance are today's, not those of the day of the request.
    """
    recent = list(
        ServiceRequest.objects.select_related(
            "client", "service", "tariff", "subscription__service", "assignee", "rule"
        ).order_by("-created_at", "-id")[:size]
    )
    earlier = [
        r
        for r in Rule.objects.filter(is_enabled=True).exclude(pk=rule.pk)
        if (r.position, r.pk) < (rule.position, rule.pk)
    ]
    balance_of = cached_balances(client_balance)
    trial = Trial(looked_at=len(recent))
    for service_request in recent:
        if not rule_matches(rule, service_request, balance_of=balance_of):
            continue
        shadow = next(
            (r for r in earlier if rule_matches(r, service_request, balance_of=balance_of)), None
        )
        trial.rows.append(TrialRow(request=service_request, shadowed_by=shadow))
    return trial

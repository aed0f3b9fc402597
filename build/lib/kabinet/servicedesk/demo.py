"""Demo automation rules and requests in various states, so the queue looks lived-in.

Idempotent: rules are found by name; the requests are created only on the first run.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone

from kabinet.accounts.models import Client, User
from kabinet.catalog.models import Service, Tariff
from kabinet.subscriptions.models import Subscription
from kabinet.subscriptions.services import subscription_record

from .models import (
    EventAction,
    RequestEvent,
    RequestKind,
    RequestStatus,
    Rule,
    RuleAction,
    ServiceRequest,
)

RULES: list[dict[str, Any]] = [
    {
        "name": "Переадресация подключается сразу",
        "is_enabled": True,
        "kind": RequestKind.CONNECT,
        "service": "forwarding",
        "client_status": "active",
        "action": RuleAction.APPROVE,
        "message": "Переадресация подключена автоматически. Номер для переадресации можно "
        "указать в настройках услуги.",
    },
    {
        "name": "Больше линий — к менеджеру клиента",
        "is_enabled": True,
        "kind": RequestKind.CHANGE_PARAMETERS,
        "service": "local-number",
        "parameter_code": "lines",
        "parameter_min": 1,
        "parameter_max": 30,
        "action": RuleAction.ASSIGN,
    },
    {
        "name": "Приостановленным клиентам тариф не меняем",
        "is_enabled": False,
        "kind": RequestKind.CHANGE_TARIFF,
        "client_status": "suspended",
        "action": RuleAction.REJECT,
        "message": "Тариф можно сменить после возобновления обслуживания по договору.",
    },
]


def seed_rules(admin: User) -> list[Rule]:
    rules = []
    for position, data in enumerate(RULES, start=1):
        fields = dict(data)
        service = fields.pop("service", None)
        if service:
            fields["service"] = Service.objects.get(code=service)
        rule, _created = Rule.objects.get_or_create(
            name=fields.pop("name"),
            defaults={
                **fields,
                "position": position * 10,
                "created_by": admin,
                "created_at": _ago(days=40),
            },
        )
        rules.append(rule)
    return rules


def _ago(**kwargs: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(**kwargs)


def _due(kind: str, filed: dt.datetime) -> dt.datetime:
    return filed + dt.timedelta(hours=settings.KABINET_REQUEST_DUE_HOURS.get(kind, 24))


def _request(
    *,
    client: Client,
    by: User,
    kind: str,
    filed: dt.datetime,
    steps: list[tuple[str, dict[str, Any]]],
    **fields: Any,
) -> ServiceRequest:
    """A request with its history: steps are (event action or status, details)."""
    service_request = ServiceRequest.objects.create(
        client=client,
        kind=kind,
        created_by=by,
        created_at=filed,
        due_at=_due(kind, filed),
        processed_at=filed + dt.timedelta(seconds=2),
        **fields,
    )
    RequestEvent.objects.create(
        request=service_request, at=filed, actor=by, status=RequestStatus.NEW
    )
    for step, details in steps:
        rule = details.get("rule")
        at = details["at"]
        if step == EventAction.ASSIGN:
            service_request.assignee = details["assignee"]
            RequestEvent.objects.create(
                request=service_request,
                at=at,
                action=EventAction.ASSIGN,
                status=service_request.status,
                assignee=details["assignee"],
                actor=details.get("actor"),
                rule=rule,
                rule_name=rule.name if rule else "",
            )
        else:
            service_request.status = step
            service_request.comment = details.get("comment", "")
            service_request.decided_by = details.get("actor")
            service_request.decided_at = at
            if step in (RequestStatus.DONE, RequestStatus.REJECTED, RequestStatus.WITHDRAWN):
                service_request.closed_at = at
            RequestEvent.objects.create(
                request=service_request,
                at=at,
                actor=details.get("actor"),
                status=step,
                comment=details.get("comment", ""),
                rule=rule,
                rule_name=rule.name if rule else "",
            )
        if rule is not None:
            service_request.rule = rule
    service_request.save()
    return service_request


def seed_requests(rules: list[Rule]) -> int:
    clients = {c.contract_number: c for c in Client.objects.select_related("manager")}
    if ServiceRequest.objects.filter(client__in=clients.values()).exists():
        return 0
    users = {u.email: u for u in User.objects.filter(email__endswith="@kabinet.test")}
    volkova, sokolov = users["manager@kabinet.test"], users["manager2@kabinet.test"]
    petrov = users["client100001@kabinet.test"]
    forwarding, lines_rule = rules[0], rules[1]

    def subscription(contract: str, service: str) -> Subscription:
        return Subscription.objects.get(client=clients[contract], service__code=service)

    local_1 = subscription("100001", "local-number")
    filed = _ago(days=20, hours=3)
    _request(
        client=clients["100001"],
        by=petrov,
        kind=RequestKind.CHANGE_PARAMETERS,
        filed=filed,
        subscription=local_1,
        service=local_1.service,
        parameters={"lines": 8},
        steps=[
            (
                EventAction.ASSIGN,
                {"at": filed + dt.timedelta(seconds=2), "assignee": volkova, "rule": lines_rule},
            ),
            (RequestStatus.APPROVED, {"at": filed + dt.timedelta(hours=3), "actor": volkova}),
            (
                RequestStatus.DONE,
                {
                    "at": filed + dt.timedelta(hours=3),
                    "actor": volkova,
                    "comment": "Линии добавлены. Абонентская плата изменится со следующего месяца.",
                },
            ),
        ],
    )
    pbx = subscription("100001", "vpbx")
    _request(
        client=clients["100001"],
        by=petrov,
        kind=RequestKind.CHANGE_PARAMETERS,
        filed=_ago(hours=11),
        subscription=pbx,
        service=pbx.service,
        parameters={"extensions": 15},
        steps=[],
    )
    _request(
        client=clients["100001"],
        by=users["buh100001@kabinet.test"],
        kind=RequestKind.OTHER,
        filed=_ago(hours=2),
        subject="Акт сверки за III квартал",
        text="Пришлите, пожалуйста, акт сверки взаиморасчётов за июль–сентябрь "
        "на buh@baltlog.example.",
        steps=[],
    )
    filed = _ago(days=6)
    _request(
        client=clients["100001"],
        by=petrov,
        kind=RequestKind.CHANGE_TARIFF,
        filed=filed,
        subscription=local_1,
        service=local_1.service,
        tariff=Tariff.objects.get(code="local-start"),
        steps=[(RequestStatus.WITHDRAWN, {"at": filed + dt.timedelta(hours=5), "actor": petrov})],
    )
    local_2 = subscription("100002", "local-number")
    filed = _ago(hours=1, minutes=20)
    _request(
        client=clients["100002"],
        by=users["client100002@kabinet.test"],
        kind=RequestKind.CHANGE_PARAMETERS,
        filed=filed,
        subscription=local_2,
        service=local_2.service,
        parameters={"lines": 6},
        steps=[
            (
                EventAction.ASSIGN,
                {"at": filed + dt.timedelta(seconds=2), "assignee": volkova, "rule": lines_rule},
            )
        ],
    )
    fwd = Tariff.objects.get(code="fwd-standard")
    filed = _ago(days=3, hours=4)
    connected = Subscription.objects.create(
        client=clients["100004"],
        service=fwd.service,
        tariff=fwd,
        parameters={"enabled": False, "target": None, "delay": "15"},
        created_at=filed + dt.timedelta(seconds=2),
    )
    subscription_record(connected)
    _request(
        client=clients["100004"],
        by=users["client100004@kabinet.test"],
        kind=RequestKind.CONNECT,
        filed=filed,
        subscription=connected,
        service=fwd.service,
        tariff=fwd,
        parameters={"enabled": False, "target": None, "delay": "15"},
        steps=[
            (RequestStatus.APPROVED, {"at": filed + dt.timedelta(seconds=2), "rule": forwarding}),
            (
                RequestStatus.DONE,
                {
                    "at": filed + dt.timedelta(seconds=2),
                    "rule": forwarding,
                    "comment": forwarding.message,
                },
            ),
        ],
    )
    local_3 = subscription("100003", "local-number")
    filed = _ago(days=9)
    _request(
        client=clients["100003"],
        by=users["client100003@kabinet.test"],
        kind=RequestKind.CHANGE_TARIFF,
        filed=filed,
        subscription=local_3,
        service=local_3.service,
        tariff=Tariff.objects.get(code="local-business"),
        steps=[
            (
                RequestStatus.REJECTED,
                {
                    "at": filed + dt.timedelta(hours=20),
                    "actor": sokolov,
                    "comment": "Ваш партнёрский тариф выгоднее «Бизнеса» при 12 линиях. "
                    "Позвоню, чтобы обсудить.",
                },
            )
        ],
    )
    return ServiceRequest.objects.count()


def seed_servicedesk() -> list[str]:
    admin = User.objects.get(email="admin@kabinet.test")
    rules = seed_rules(admin)
    seed_requests(rules)
    return [f"Automation rules: {Rule.objects.count()}, requests: {ServiceRequest.objects.count()}"]

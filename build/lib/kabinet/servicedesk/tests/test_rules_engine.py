"""The rules engine: conditions, order, first match wins, disabled rules ignored."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kabinet.audit.models import AuditEntry
from kabinet.catalog.models import Service
from kabinet.notifications.models import Notification
from kabinet.servicedesk import services
from kabinet.servicedesk.balance import client_balance
from kabinet.servicedesk.models import (
    EventAction,
    RequestEvent,
    RequestKind,
    Rule,
    RuleAction,
    ServiceRequest,
)
from kabinet.servicedesk.rules import first_match, rule_matches

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_service(db) -> Service:
    return Service.objects.create(code="forwarding", name="Переадресация", name_en="Forwarding")


@pytest.fixture
def make_request(company, service, make_tariff, subscribe):
    """An unsaved request as the engine sees it; ``tariff`` is a visibility to ask for."""
    subscription = subscribe(company, make_tariff("current"))

    def make(kind=RequestKind.CHANGE_PARAMETERS, tariff=None, parameters=None, **extra):
        asked = make_tariff(f"asked-{tariff}", tariff) if tariff else None
        return ServiceRequest(
            client=company,
            kind=kind,
            subscription=subscription,
            service=extra.pop("service", service),
            tariff=asked,
            parameters={"lines": 5} if parameters is None else parameters,
            **extra,
        )

    return make


def balance(amount: str):
    return lambda client: Decimal(amount)


# (rule conditions, request, client status, balance, matches?)
CONDITIONS = [
    ("no condition matches anything", {}, {}, "active", "0.00", True),
    ("kind equal", {"kind": "change_parameters"}, {}, "active", "0.00", True),
    ("kind differs", {"kind": "disconnect"}, {}, "active", "0.00", False),
    ("service equal", {"service": "service"}, {}, "active", "0.00", True),
    ("service differs", {"service": "other"}, {}, "active", "0.00", False),
    (
        "request without service",
        {"service": "service"},
        {"kind": "other", "service": None},
        "active",
        "0.00",
        False,
    ),
    (
        "tariff visibility equal",
        {"tariff_visibility": "exclusive"},
        {"kind": "change_tariff", "tariff": "exclusive"},
        "active",
        "0.00",
        True,
    ),
    (
        "tariff visibility differs",
        {"tariff_visibility": "exclusive"},
        {"kind": "change_tariff", "tariff": "public"},
        "active",
        "0.00",
        False,
    ),
    ("no tariff asked for", {"tariff_visibility": "public"}, {}, "active", "0.00", False),
    ("client status equal", {"client_status": "suspended"}, {}, "suspended", "0.00", True),
    ("client status differs", {"client_status": "suspended"}, {}, "active", "0.00", False),
    ("balance exactly enough", {"min_balance": Decimal("500.00")}, {}, "active", "500.00", True),
    ("balance a kopeck short", {"min_balance": Decimal("500.00")}, {}, "active", "499.99", False),
    (
        "negative balance and a zero threshold",
        {"min_balance": Decimal("0")},
        {},
        "active",
        "-10.00",
        False,
    ),
    (
        "parameter within limits",
        {"parameter_code": "lines", "parameter_min": 1, "parameter_max": 10},
        {"parameters": {"lines": 10}},
        "active",
        "0.00",
        True,
    ),
    (
        "parameter above the limit",
        {"parameter_code": "lines", "parameter_min": 1, "parameter_max": 10},
        {"parameters": {"lines": 11}},
        "active",
        "0.00",
        False,
    ),
    (
        "parameter below the limit",
        {"parameter_code": "lines", "parameter_min": 3},
        {"parameters": {"lines": 2}},
        "active",
        "0.00",
        False,
    ),
    (
        "only an upper limit",
        {"parameter_code": "lines", "parameter_max": 30},
        {"parameters": {"lines": 30}},
        "active",
        "0.00",
        True,
    ),
    (
        "parameter not in the request",
        {"parameter_code": "lines", "parameter_max": 30},
        {"parameters": {"delay": "0"}},
        "active",
        "0.00",
        False,
    ),
    (
        "yes/no value is not a number",
        {"parameter_code": "caller_id", "parameter_min": 0, "parameter_max": 1},
        {"parameters": {"caller_id": True}},
        "active",
        "0.00",
        False,
    ),
    (
        "every condition holds",
        {
            "kind": "change_parameters",
            "service": "service",
            "client_status": "active",
            "min_balance": Decimal("100"),
            "parameter_code": "lines",
            "parameter_max": 10,
        },
        {"parameters": {"lines": 4}},
        "active",
        "100.00",
        True,
    ),
    (
        "one condition of many fails",
        {
            "kind": "change_parameters",
            "service": "service",
            "client_status": "active",
            "min_balance": Decimal("100"),
            "parameter_code": "lines",
            "parameter_max": 10,
        },
        {"parameters": {"lines": 4}},
        "active",
        "99.00",
        False,
    ),
]


@pytest.mark.parametrize(
    ("conditions", "asked", "client_status", "money", "expected"),
    [case[1:] for case in CONDITIONS],
    ids=[case[0] for case in CONDITIONS],
)
def test_rule_conditions(
    make_request,
    company,
    service,
    other_service,
    conditions,
    asked,
    client_status,
    money,
    expected,
):
    conditions = dict(conditions)
    if conditions.get("service") == "service":
        conditions["service"] = service
    elif conditions.get("service") == "other":
        conditions["service"] = other_service
    company.status = client_status
    rule = Rule(name="r", action=RuleAction.APPROVE, **conditions)
    request = make_request(**asked)
    assert rule_matches(rule, request, balance_of=balance(money)) is expected


def test_balance_is_not_asked_when_another_condition_fails(make_request):
    asked = []
    rule = Rule(name="r", action="approve", kind="disconnect", min_balance=Decimal("1"))

    def balance_of(client):
        asked.append(client)
        return Decimal("0")

    assert rule_matches(rule, make_request(), balance_of=balance_of) is False
    assert asked == []


# Rules as (position, enabled, kind condition); which of them acts, by index, or None.
ORDERS = [
    ("first match wins", [(10, True, ""), (20, True, "")], 0),
    ("order is by position, not creation", [(20, True, ""), (10, True, "")], 1),
    ("disabled rule is ignored", [(10, False, ""), (20, True, "")], 1),
    ("a rule that does not match is passed over", [(10, True, "connect"), (20, True, "")], 1),
    ("nothing matches", [(10, True, "connect"), (20, True, "disconnect")], None),
    ("only disabled rules", [(10, False, ""), (20, False, "")], None),
]


@pytest.mark.parametrize(
    ("rules", "winner"), [case[1:] for case in ORDERS], ids=[case[0] for case in ORDERS]
)
def test_first_match_by_order(make_request, manager, rules, winner):
    made = [
        Rule.objects.create(
            name=f"rule {i}",
            position=position,
            is_enabled=enabled,
            kind=kind,
            action=RuleAction.APPROVE,
            created_by=manager,
        )
        for i, (position, enabled, kind) in enumerate(rules)
    ]
    found = first_match(Rule.objects.all(), make_request(), balance_of=balance("0"))
    assert found == (made[winner] if winner is not None else None)


# --- Processing: the background task over a filed request --------------------------------


@pytest.fixture
def subscription(company, public_tariff, subscribe):
    return subscribe(company, public_tariff)


def file_lines(http, subscription, lines: int) -> ServiceRequest:
    """The client asks for more lines (a change that needs approval)."""
    http.post(
        f"/cabinet/services/{subscription.pk}/",
        {"lines": str(lines), "caller_id": "on", "delay": "15", "prefix": "1"},
    )
    return ServiceRequest.objects.latest("pk")


def make_rule(manager, **fields) -> Rule:
    fields.setdefault("is_enabled", True)
    fields.setdefault("name", f"rule {Rule.objects.count() + 1}")
    fields.setdefault("position", (Rule.objects.count() + 1) * 10)
    return Rule.objects.create(created_by=manager, **fields)


def test_request_without_matching_rule_waits_and_its_manager_hears(
    as_client, subscription, manager
):
    make_rule(manager, kind=RequestKind.CONNECT, action=RuleAction.APPROVE)
    request = file_lines(as_client, subscription, 5)
    request.refresh_from_db()
    assert (request.status, request.assignee, request.rule) == ("new", None, None)
    assert request.processed_at is not None
    assert Notification.objects.filter(
        user=manager, title__startswith=f"New request #{request.pk}"
    ).exists()


def test_assign_rule_routes_the_request_to_the_client_manager(
    as_client, subscription, manager, client_user
):
    rule = make_rule(
        manager,
        name="Lines to the manager",
        kind=RequestKind.CHANGE_PARAMETERS,
        parameter_code="lines",
        parameter_max=30,
        action=RuleAction.ASSIGN,
    )
    request = file_lines(as_client, subscription, 5)
    request.refresh_from_db()
    assert (request.status, request.assignee, request.rule) == ("new", manager, rule)
    event = request.events.get(action=EventAction.ASSIGN)
    assert (event.assignee, event.rule, event.rule_name, event.actor) == (
        manager,
        rule,
        "Lines to the manager",
        None,
    )
    entry = AuditEntry.objects.get(action="request.assign")
    assert (entry.actor_repr, entry.after) == (
        "system",
        {"assignee": str(manager), "rule": "Lines to the manager"},
    )
    assert Notification.objects.filter(
        user=manager, title__contains=f"#{request.pk}", title__endswith="Change parameters"
    ).exists()
    # The assignment is the operator's business: the client's history shows the status only.
    page = as_client.get(f"/cabinet/requests/{request.pk}/").content.decode()
    assert "Lines to the manager" not in page


def test_assign_rule_to_a_named_manager(as_client, subscription, manager, other_manager):
    make_rule(manager, action=RuleAction.ASSIGN, assign_to=other_manager)
    request = file_lines(as_client, subscription, 5)
    request.refresh_from_db()
    assert request.assignee == other_manager


def test_approve_rule_applies_the_change_and_tells_the_client(
    as_client, as_manager, subscription, manager, client_user
):
    rule = make_rule(
        manager,
        name="Small increases",
        parameter_code="lines",
        parameter_max=10,
        action=RuleAction.APPROVE,
        message="Done automatically.",
    )
    request = file_lines(as_client, subscription, 6)
    request.refresh_from_db()
    subscription.refresh_from_db()
    assert subscription.parameters["lines"] == 6
    assert (request.status, request.rule, request.comment, request.decided_by) == (
        "done",
        rule,
        "Done automatically.",
        None,
    )
    assert [(e.status, e.rule_name) for e in request.events.all()] == [
        ("new", ""),
        ("approved", "Small increases"),
        ("done", "Small increases"),
    ]
    assert Notification.objects.filter(
        user=client_user, title=f"Request #{request.pk} is done: Change parameters"
    ).exists()
    # Managers see which rule decided it.
    page = as_manager.get(f"/manager/requests/{request.pk}/").content.decode()
    assert "rule “Small increases”" in page


def test_reject_rule_sends_its_message_to_the_client(as_client, subscription, manager, client_user):
    make_rule(
        manager,
        parameter_code="lines",
        parameter_min=20,
        action=RuleAction.REJECT,
        message="Twenty lines and more need a site survey.",
    )
    request = file_lines(as_client, subscription, 25)
    request.refresh_from_db()
    subscription.refresh_from_db()
    assert request.status == "rejected"
    assert subscription.parameters["lines"] == 2
    notice = Notification.objects.get(user=client_user, title__contains=f"#{request.pk}")
    assert notice.body == "Twenty lines and more need a site survey."


def test_processing_twice_changes_nothing(as_client, subscription, manager):
    make_rule(manager, action=RuleAction.ASSIGN)
    request = file_lines(as_client, subscription, 5)
    before = (
        RequestEvent.objects.count(),
        AuditEntry.objects.count(),
        Notification.objects.count(),
    )
    assert services.request_process(request_id=request.pk) == "already processed"
    from kabinet.servicedesk.tasks import process_request

    process_request.enqueue(request.pk)
    after = (
        RequestEvent.objects.count(),
        AuditEntry.objects.count(),
        Notification.objects.count(),
    )
    assert after == before


def test_a_withdrawn_request_is_left_alone(as_client, subscription, manager, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    make_rule(manager, action=RuleAction.APPROVE)
    request = file_lines(as_client, subscription, 5)
    as_client.post(f"/cabinet/requests/{request.pk}/withdraw/")
    assert services.request_process(request_id=request.pk) == "not new"
    request.refresh_from_db()
    subscription.refresh_from_db()
    assert request.status == "withdrawn"
    assert subscription.parameters["lines"] == 2


def test_a_rule_that_cannot_act_leaves_the_request_waiting(
    as_client, subscription, manager, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    rule = make_rule(manager, name="Approve all", action=RuleAction.APPROVE)
    request = file_lines(as_client, subscription, 5)
    # The service is disconnected before the worker gets to the request.
    subscription.status = "closed"
    subscription.save()
    assert services.request_process(request_id=request.pk) == f"rule {rule.pk} failed"
    request.refresh_from_db()
    subscription.refresh_from_db()
    assert (request.status, request.rule) == ("new", None)
    assert subscription.parameters["lines"] == 2
    note = request.events.get(action=EventAction.NOTE)
    assert (note.rule, note.comment) == (
        rule,
        "The rule could not act: The service is disconnected.",
    )


def test_assign_rule_for_a_client_without_manager_leaves_a_note(
    make_client, make_client_user, public_tariff, subscribe, manager
):
    from kabinet.conftest import logged_in

    orphan = make_client(manager=None)
    http = logged_in(make_client_user(orphan, "orphan@example.com"))
    make_rule(manager, action=RuleAction.ASSIGN)
    request = file_lines(http, subscribe(orphan, public_tariff), 5)
    request.refresh_from_db()
    assert request.assignee is None
    assert request.events.filter(action=EventAction.NOTE).count() == 1


def test_balance_condition_reads_the_client_balance(as_client, subscription, manager, company):
    from kabinet.payments.models import LedgerEntry, LedgerKind

    make_rule(manager, name="Paid up", min_balance=Decimal("1000.00"), action=RuleAction.APPROVE)
    LedgerEntry.objects.create(client=company, kind=LedgerKind.PAYMENT, amount=Decimal("999.99"))
    short = file_lines(as_client, subscription, 5)
    LedgerEntry.objects.create(client=company, kind=LedgerKind.PAYMENT, amount=Decimal("0.01"))
    enough = file_lines(as_client, subscription, 6)
    short.refresh_from_db()
    enough.refresh_from_db()
    assert (short.status, enough.status) == ("new", "done")


def test_balance_is_the_payments_ledger(company):
    from kabinet.payments.models import LedgerEntry, LedgerKind

    assert client_balance(company) == Decimal("0.00")
    LedgerEntry.objects.create(client=company, kind=LedgerKind.PAYMENT, amount=Decimal("1500.00"))
    LedgerEntry.objects.create(client=company, kind=LedgerKind.REFUND, amount=Decimal("-200.00"))
    assert client_balance(company) == Decimal("1300.00")

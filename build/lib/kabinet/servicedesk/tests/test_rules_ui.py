"""Managers create, order, enable, disable and test automation rules; each change is audited."""

from __future__ import annotations

import pytest

from kabinet.audit.models import AuditEntry
from kabinet.catalog.models import ParameterSpec, Service
from kabinet.servicedesk.models import RequestKind, Rule, RuleAction, ServiceRequest

pytestmark = pytest.mark.django_db


def rule_form(**overrides) -> dict:
    data = {
        "name": "Small line increases",
        "kind": "change_parameters",
        "service": "",
        "tariff_visibility": "",
        "client_status": "active",
        "min_balance": "",
        "parameter_code": "lines",
        "parameter_min": "1",
        "parameter_max": "10",
        "action": "approve",
        "assign_to": "",
        "message": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def pbx(db) -> Service:
    pbx = Service.objects.create(code="vpbx", name="АТС", name_en="PBX")
    ParameterSpec.objects.create(
        service=pbx, code="extensions", label="Номеров", label_en="Extensions", type="int"
    )
    return pbx


def test_parameter_choices_are_whole_number_settings(as_manager, service, pbx):
    form = as_manager.get("/manager/rules/new/").context["form"]
    assert form.fields["parameter_code"].choices == [
        ("", "Any"),
        ("extensions", "Extensions — PBX (extensions)"),
        ("lines", "Lines — Local number (lines)"),
    ]


def make_rule(manager, **fields) -> Rule:
    fields.setdefault("name", f"rule {Rule.objects.count() + 1}")
    fields.setdefault("position", (Rule.objects.count() + 1) * 10)
    fields.setdefault("action", RuleAction.APPROVE)
    return Rule.objects.create(created_by=manager, **fields)


def order() -> list[str]:
    return list(Rule.objects.order_by("position", "id").values_list("name", flat=True))


def test_new_rule_is_saved_disabled_and_audited(as_manager, manager, service):
    response = as_manager.post("/manager/rules/new/", rule_form(service=service.pk))
    rule = Rule.objects.get()
    assert response["Location"] == f"/manager/rules/{rule.pk}/test/"
    assert (rule.is_enabled, rule.service, rule.parameter_max, rule.created_by) == (
        False,
        service,
        10,
        manager,
    )
    entry = AuditEntry.objects.get(action="rule.create")
    assert (entry.actor, entry.after["name"], entry.after["is_enabled"]) == (
        manager,
        "Small line increases",
        False,
    )


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"action": "reject"}, "message", "Tell the client why their request is rejected."),
        ({"parameter_min": "", "parameter_max": ""}, "parameter_max", "Give at least one limit"),
        ({"parameter_code": ""}, "parameter_code", "Name the parameter the limits are for."),
        ({"parameter_min": "11"}, "parameter_max", "The upper limit is below the lower one."),
        ({"parameter_code": "extensions"}, "parameter_code", "The service has no such parameter."),
        ({"parameter_code": "nosuch"}, "parameter_code", "Select a valid choice."),
        ({"parameter_code": "caller_id"}, "parameter_code", "Select a valid choice."),
        ({"name": ""}, "name", "This field is required."),
    ],
)
def test_invalid_rule_is_refused_and_nothing_saved(
    as_manager, service, pbx, overrides, field, message
):
    response = as_manager.post("/manager/rules/new/", rule_form(service=service.pk, **overrides))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Rule.objects.exists()
    assert not AuditEntry.objects.exists()


def test_edit_rule_is_audited_with_before_and_after(as_manager, manager):
    rule = make_rule(manager, name="Old name", kind=RequestKind.DISCONNECT)
    as_manager.post(
        f"/manager/rules/{rule.pk}/",
        rule_form(
            name="New name",
            kind="disconnect",
            parameter_code="",
            parameter_min="",
            parameter_max="",
            client_status="",
        ),
    )
    rule.refresh_from_db()
    assert rule.name == "New name"
    entry = AuditEntry.objects.get(action="rule.update")
    assert (entry.before["name"], entry.after["name"]) == ("Old name", "New name")


def test_assign_to_is_cleared_for_other_actions(as_manager, service, other_manager):
    as_manager.post("/manager/rules/new/", rule_form(action="approve", assign_to=other_manager.pk))
    assert Rule.objects.get().assign_to is None


def test_enable_and_disable_are_audited(as_manager, manager):
    rule = make_rule(manager)
    as_manager.post(f"/manager/rules/{rule.pk}/toggle/", {"enabled": "1"})
    rule.refresh_from_db()
    assert rule.is_enabled is True
    as_manager.post(f"/manager/rules/{rule.pk}/toggle/", {"enabled": "0"})
    rule.refresh_from_db()
    assert rule.is_enabled is False
    assert list(AuditEntry.objects.order_by("id").values_list("action", "before", "after")) == [
        ("rule.enable", {"is_enabled": False}, {"is_enabled": True}),
        ("rule.disable", {"is_enabled": True}, {"is_enabled": False}),
    ]


def test_rules_move_up_and_down(as_manager, manager):
    a, b, c = (
        make_rule(manager, name="A"),
        make_rule(manager, name="B"),
        make_rule(manager, name="C"),
    )
    as_manager.post(f"/manager/rules/{c.pk}/move/", {"direction": "up"})
    assert order() == ["A", "C", "B"]
    as_manager.post(f"/manager/rules/{a.pk}/move/", {"direction": "down"})
    assert order() == ["C", "A", "B"]
    # The first cannot go higher: nothing changes, nothing is recorded.
    as_manager.post(f"/manager/rules/{c.pk}/move/", {"direction": "up"})
    assert order() == ["C", "A", "B"]
    moves = AuditEntry.objects.filter(action="rule.move").order_by("id")
    assert [m.after["order"] for m in moves] == [[a.pk, c.pk, b.pk], [c.pk, a.pk, b.pk]]


def test_rules_list_shows_the_rules_in_the_order_they_are_tried(as_manager, manager):
    make_rule(manager, name="A")
    make_rule(manager, name="B")
    c = make_rule(manager, name="C")
    as_manager.post(f"/manager/rules/{c.pk}/move/", {"direction": "up"})
    as_manager.post(f"/manager/rules/{c.pk}/move/", {"direction": "up"})
    response = as_manager.get("/manager/rules/")
    assert [rule.name for rule in response.context["rules"]] == ["C", "A", "B"]


def test_rule_that_decided_requests_cannot_be_deleted(
    as_manager, manager, as_client, company, public_tariff, subscribe
):
    used = make_rule(manager, name="Used", is_enabled=True, action=RuleAction.ASSIGN)
    unused = make_rule(manager, name="Unused")
    subscription = subscribe(company, public_tariff)
    as_client.post(f"/cabinet/services/{subscription.pk}/disconnect/")
    assert ServiceRequest.objects.get().rule == used
    response = as_manager.post(f"/manager/rules/{used.pk}/delete/", follow=True)
    assert "disable it instead" in response.content.decode()
    as_manager.post(f"/manager/rules/{unused.pk}/delete/")
    assert order() == ["Used"]
    assert AuditEntry.objects.filter(action="rule.delete").count() == 1


def test_rules_are_for_managers_only(as_client, manager):
    rule = make_rule(manager)
    assert as_client.get("/manager/rules/").status_code == 403
    assert as_client.post(f"/manager/rules/{rule.pk}/toggle/", {"enabled": "1"}).status_code == 403
    rule.refresh_from_db()
    assert rule.is_enabled is False


def test_test_view_shows_matches_before_the_rule_is_enabled(
    as_manager, manager, as_client, company, public_tariff, make_tariff, subscribe
):
    subscription = subscribe(company, public_tariff)
    as_client.post(
        f"/cabinet/services/{subscription.pk}/",
        {"lines": "5", "caller_id": "on", "delay": "15", "prefix": "1"},
    )
    as_client.post(
        f"/cabinet/services/{subscription.pk}/tariff/", {"tariff": make_tariff("other").pk}
    )
    lines = ServiceRequest.objects.get(kind=RequestKind.CHANGE_PARAMETERS)
    earlier = make_rule(
        manager, name="Earlier", is_enabled=True, kind="change_tariff", action=RuleAction.ASSIGN
    )
    rule = make_rule(manager, name="Any change")
    response = as_manager.get(f"/manager/rules/{rule.pk}/test/")
    trial = response.context["result"]
    assert trial.looked_at == 2
    assert {(row.request.kind, row.shadowed_by) for row in trial.rows} == {
        ("change_parameters", None),
        ("change_tariff", earlier),
    }
    assert (trial.matched, trial.would_act) == (2, 1)
    page = response.content.decode()
    assert f"/manager/requests/{lines.pk}/" in page
    assert "“Earlier” comes first" in page
    rule.refresh_from_db()
    assert rule.is_enabled is False


def test_rule_pages_run_fixed_queries(
    as_manager,
    manager,
    as_client,
    company,
    public_tariff,
    subscribe,
    django_assert_max_num_queries,
):
    rule = make_rule(manager, is_enabled=True, action=RuleAction.ASSIGN)

    def file(n):
        for _ in range(n):
            as_client.post(f"/cabinet/services/{subscribe(company, public_tariff).pk}/disconnect/")

    file(2)
    counts = {}
    for url in ("/manager/rules/", f"/manager/rules/{rule.pk}/", f"/manager/rules/{rule.pk}/test/"):
        with django_assert_max_num_queries(40) as captured:
            as_manager.get(url)
        counts[url] = len(captured.captured_queries)
    file(10)
    for url, count in counts.items():
        with django_assert_max_num_queries(count):
            as_manager.get(url)

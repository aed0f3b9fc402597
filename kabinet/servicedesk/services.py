"""Client requests: filing, deciding and applying them.

Approving applies the change through the catalog's and subscriptions' own services, so a
request does exactly what a manager's direct change would.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kabinet.accounts.models import Client, ClientStatus, Role, User
from kabinet.accounts.selectors import company_users
from kabinet.audit.services import audit_record, audit_snapshot
from kabinet.catalog.models import Service, Tariff
from kabinet.catalog.params import clean_values, defaults
from kabinet.catalog.selectors import tariffs_offered_to
from kabinet.core.tasks import enqueue_on_commit
from kabinet.lib.uploads import CheckedFile
from kabinet.notifications.models import Category
from kabinet.notifications.services import notification_send
from kabinet.subscriptions.models import Subscription
from kabinet.subscriptions.services import (
    subscription_change_tariff,
    subscription_connect,
    subscription_set_parameters,
    subscription_set_status,
)

from .balance import client_balance
from .models import (
    OPEN_STATUSES,
    EventAction,
    RequestAttachment,
    RequestEvent,
    RequestKind,
    RequestStatus,
    Rule,
    RuleAction,
    ServiceRequest,
)
from .rules import cached_balances, first_match


def _due_at(kind: str) -> Any:
    hours = getattr(settings, "KABINET_REQUEST_DUE_HOURS", {}).get(kind, 24)
    return timezone.now() + dt.timedelta(hours=hours)


def _check_request(
    *,
    client: Client,
    kind: str,
    subscription: Subscription | None,
    service: Service | None,
    tariff: Tariff | None,
    parameters: dict[str, Any],
) -> dict[str, Any]:
    """Refuse requests that could never be carried out; returns the cleaned parameters."""
    if client.status == ClientStatus.CLOSED:
        raise ValidationError(_("The contract is closed."))
    if subscription is not None and subscription.client_id != client.pk:
        raise PermissionDenied
    needs_subscription = (
        RequestKind.DISCONNECT,
        RequestKind.CHANGE_TARIFF,
        RequestKind.CHANGE_PARAMETERS,
    )
    if kind in needs_subscription and (subscription is None or not subscription.is_open):
        raise ValidationError(_("The service is not connected."))
    if kind in (RequestKind.CONNECT, RequestKind.CHANGE_TARIFF):
        if tariff is None:
            raise ValidationError(_("Choose a tariff."))
        offered = tariffs_offered_to(client).filter(pk=tariff.pk).exists()
        if not offered:
            raise ValidationError(_("This tariff is not available to you."))
        if kind == RequestKind.CHANGE_TARIFF and tariff.service_id != subscription.service_id:  # type: ignore[union-attr]
            raise ValidationError(_("The tariff belongs to another service."))
        if kind == RequestKind.CHANGE_TARIFF and tariff.pk == subscription.tariff_id:  # type: ignore[union-attr]
            raise ValidationError(_("This is your current tariff."))
    if kind == RequestKind.CONNECT:
        specs = list(tariff.service.parameters.all())  # type: ignore[union-attr]
        values, errors = clean_values(specs, {**defaults(specs), **parameters})
        if errors:
            raise ValidationError(errors)
        return values
    return parameters


def request_create(
    *,
    user: User,
    client: Client,
    kind: str,
    subscription: Subscription | None = None,
    service: Service | None = None,
    tariff: Tariff | None = None,
    parameters: dict[str, Any] | None = None,
    subject: str = "",
    text: str = "",
    attachments: Sequence[CheckedFile] = (),
) -> ServiceRequest:
    """File a request; the automation rules look at it once it is committed."""
    parameters = _check_request(
        client=client,
        kind=kind,
        subscription=subscription,
        service=service,
        tariff=tariff,
        parameters=parameters or {},
    )
    if tariff is not None:
        service = tariff.service
    elif subscription is not None:
        service = subscription.service
    with transaction.atomic():
        duplicate = ServiceRequest.objects.filter(
            client=client,
            kind=kind,
            status__in=OPEN_STATUSES,
            subscription=subscription,
            tariff=tariff,
            parameters=parameters,
        ).exclude(kind=RequestKind.OTHER)
        if duplicate.exists():
            raise ValidationError(_("The same request is already open."))
        service_request = ServiceRequest.objects.create(
            client=client,
            kind=kind,
            subscription=subscription,
            service=service,
            tariff=tariff,
            parameters=parameters,
            subject=subject,
            text=text,
            created_by=user,
            due_at=_due_at(kind),
        )
        RequestEvent.objects.create(request=service_request, actor=user, status=RequestStatus.NEW)
        for checked in attachments:
            RequestAttachment.objects.create(
                request=service_request,
                file=checked.upload,
                name=checked.name,
                content_type=checked.content_type,
                size=checked.size,
                uploaded_by=user,
            )
        enqueue_on_commit("kabinet.servicedesk.tasks.process_request", service_request.pk)
    return service_request


def _apply(service_request: ServiceRequest, actor: User | None) -> None:
    kind = service_request.kind
    subscription = service_request.subscription
    tariff = service_request.tariff
    if kind == RequestKind.CONNECT:
        assert tariff is not None
        service_request.subscription = subscription_connect(
            actor=actor,
            client=service_request.client,
            tariff=tariff,
            parameters=service_request.parameters,
        )
        return
    assert subscription is not None
    if kind == RequestKind.DISCONNECT:
        subscription_set_status(actor=actor, subscription=subscription, status="closed")
    elif kind == RequestKind.CHANGE_TARIFF:
        assert tariff is not None
        subscription_change_tariff(actor=actor, subscription=subscription, tariff=tariff)
    elif kind == RequestKind.CHANGE_PARAMETERS:
        subscription_set_parameters(
            actor=actor, subscription=subscription, values=service_request.parameters
        )


def _decide(
    service_request: ServiceRequest,
    *,
    actor: User | None,
    status: str,
    comment: str,
    rule: Rule | None,
) -> None:
    service_request.status = status
    service_request.comment = comment
    service_request.decided_by = actor
    service_request.decided_at = timezone.now()
    if rule is not None:
        service_request.rule = rule
    if status in (RequestStatus.DONE, RequestStatus.REJECTED, RequestStatus.WITHDRAWN):
        service_request.closed_at = timezone.now()
    service_request.save()
    RequestEvent.objects.create(
        request=service_request,
        actor=actor,
        status=status,
        comment=comment,
        rule=rule,
        rule_name=rule.name if rule else "",
    )


_TITLES = {
    RequestStatus.DONE: gettext_lazy("Request #%(id)s is done: %(kind)s"),
    RequestStatus.REJECTED: gettext_lazy("Request #%(id)s is rejected: %(kind)s"),
}


def request_approve(
    *,
    actor: User | None,
    service_request: ServiceRequest,
    comment: str = "",
    rule: Rule | None = None,
) -> ServiceRequest:
    """Approve and carry out the request (approved → done), or fail and change nothing."""
    with transaction.atomic():
        service_request = (
            ServiceRequest.objects.select_for_update(of=("self",))
            .select_related("client", "subscription", "tariff__service")
            .get(pk=service_request.pk)
        )
        if service_request.status != RequestStatus.NEW:
            raise ValidationError(_("Only a new request can be approved."))
        if service_request.kind == RequestKind.OTHER:
            _decide(
                service_request,
                actor=actor,
                status=RequestStatus.DONE,
                comment=comment,
                rule=rule,
            )
        else:
            _decide(
                service_request,
                actor=actor,
                status=RequestStatus.APPROVED,
                comment=comment,
                rule=rule,
            )
            _apply(service_request, actor)
            _decide(
                service_request,
                actor=actor,
                status=RequestStatus.DONE,
                comment=comment,
                rule=rule,
            )
        audit_record(
            actor=actor,
            action="request.approve",
            obj=service_request,
            before={"status": "new"},
            after={"status": "done", **_by_rule(rule)},
            comment=comment,
        )
        _notify_client(service_request)
    return service_request


def request_reject(
    *,
    actor: User | None,
    service_request: ServiceRequest,
    comment: str,
    rule: Rule | None = None,
) -> ServiceRequest:
    if not comment.strip():
        raise ValidationError({"comment": _("Tell the client why.")})
    with transaction.atomic():
        service_request = (
            ServiceRequest.objects.select_for_update(of=("self",))
            .select_related("client")
            .get(pk=service_request.pk)
        )
        if service_request.status != RequestStatus.NEW:
            raise ValidationError(_("Only a new request can be rejected."))
        _decide(
            service_request,
            actor=actor,
            status=RequestStatus.REJECTED,
            comment=comment,
            rule=rule,
        )
        audit_record(
            actor=actor,
            action="request.reject",
            obj=service_request,
            before={"status": "new"},
            after={"status": "rejected", **_by_rule(rule)},
            comment=comment,
        )
        _notify_client(service_request)
    return service_request


def request_withdraw(*, user: User, service_request: ServiceRequest) -> ServiceRequest:
    with transaction.atomic():
        service_request = ServiceRequest.objects.select_for_update(of=("self",)).get(
            pk=service_request.pk
        )
        if user.role == Role.CLIENT and service_request.client_id != user.membership.client_id:
            raise PermissionDenied
        if service_request.status != RequestStatus.NEW:
            raise ValidationError(_("Only a request that is not yet decided can be withdrawn."))
        _decide(service_request, actor=user, status=RequestStatus.WITHDRAWN, comment="", rule=None)
    return service_request


def _by_rule(rule: Rule | None) -> dict[str, Any]:
    return {"rule": rule.name} if rule is not None else {}


def _notify_client(service_request: ServiceRequest) -> None:
    title = _TITLES.get(RequestStatus(service_request.status))
    if title is None:
        return
    notification_send(
        users=company_users(service_request.client),
        category=Category.REQUEST,
        title=title,
        params={"id": service_request.pk, "kind": RequestKind(service_request.kind).label},
        body=service_request.comment,
        url=reverse("cabinet:request_detail", args=[service_request.pk]),
    )


def _notify_manager(service_request: ServiceRequest, manager: User, title: Any) -> None:
    notification_send(
        users=[manager],
        category=Category.REQUEST,
        title=title,
        params={
            "id": service_request.pk,
            "client": service_request.client.name,
            "kind": RequestKind(service_request.kind).label,
        },
        url=reverse("manager:request_detail", args=[service_request.pk]),
        email=False,
    )


# --- Assignment ------------------------------------------------------------------------------


def request_assign(
    *,
    actor: User | None,
    service_request: ServiceRequest,
    assignee: User | None,
    rule: Rule | None = None,
    request: Any = None,
) -> ServiceRequest:
    """Give an open request to a manager (or take it back to the common queue)."""
    if assignee is not None and not assignee.is_manager:
        raise ValidationError(_("Requests can be assigned to managers only."))
    with transaction.atomic():
        service_request = (
            ServiceRequest.objects.select_for_update(of=("self",))
            .select_related("client", "assignee")
            .get(pk=service_request.pk)
        )
        if not service_request.is_open:
            raise ValidationError(_("A closed request cannot be assigned."))
        if service_request.assignee_id == (assignee.pk if assignee else None):
            return service_request
        before = audit_snapshot(service_request, ["assignee"])
        service_request.assignee = assignee
        fields = ["assignee"]
        if rule is not None:
            service_request.rule = rule
            fields.append("rule")
        service_request.save(update_fields=fields)
        RequestEvent.objects.create(
            request=service_request,
            actor=actor,
            action=EventAction.ASSIGN,
            status=service_request.status,
            assignee=assignee,
            rule=rule,
            rule_name=rule.name if rule else "",
        )
        audit_record(
            actor=actor,
            action="request.assign",
            obj=service_request,
            before=before,
            after={**audit_snapshot(service_request, ["assignee"]), **_by_rule(rule)},
            request=request,
        )
        if assignee is not None and assignee != actor:
            _notify_manager(
                service_request,
                assignee,
                gettext_lazy("Request #%(id)s from %(client)s is assigned to you: %(kind)s"),
            )
    return service_request


# --- Automatic processing ----------------------------------------------------------------------


def request_process(*, request_id: int) -> str:
    """Run the enabled rules over a new request once; the first that matches acts.

    Safe to run twice: a request the rules have seen, or that is no longer new, is left
    alone. Returns what happened, for the task's result.
    """
    with transaction.atomic():
        service_request = (
            ServiceRequest.objects.select_for_update(of=("self",))
            .select_related("client__manager", "tariff", "service", "subscription")
            .filter(pk=request_id)
            .first()
        )
        if service_request is None:
            return "missing"
        if service_request.processed_at is not None:
            return "already processed"
        service_request.processed_at = timezone.now()
        service_request.save(update_fields=["processed_at"])
        if service_request.status != RequestStatus.NEW:
            return "not new"
        rules = list(Rule.objects.filter(is_enabled=True).select_related("assign_to"))
        rule = first_match(rules, service_request, balance_of=cached_balances(client_balance))
        if rule is None:
            if service_request.client.manager is not None:
                _notify_manager(
                    service_request,
                    service_request.client.manager,
                    gettext_lazy("New request #%(id)s from %(client)s: %(kind)s"),
                )
            return "waiting"
        try:
            # A savepoint: a rule that cannot act leaves the request waiting, untouched.
            with transaction.atomic():
                _act(rule, service_request)
        except ValidationError as exc:
            RequestEvent.objects.create(
                request=service_request,
                action=EventAction.NOTE,
                status=service_request.status,
                comment=_("The rule could not act: %(error)s") % {"error": " ".join(exc.messages)},
                rule=rule,
                rule_name=rule.name,
            )
            return f"rule {rule.pk} failed"
    return f"rule {rule.pk}: {rule.action}"


def _act(rule: Rule, service_request: ServiceRequest) -> None:
    if rule.action == RuleAction.APPROVE:
        request_approve(
            actor=None, service_request=service_request, comment=rule.message, rule=rule
        )
    elif rule.action == RuleAction.REJECT:
        request_reject(actor=None, service_request=service_request, comment=rule.message, rule=rule)
    else:
        assignee = rule.assign_to or service_request.client.manager
        if assignee is None:
            raise ValidationError(_("The client has no manager to assign the request to."))
        request_assign(actor=None, service_request=service_request, assignee=assignee, rule=rule)


# --- Bulk decisions ----------------------------------------------------------------------------


@dataclass
class BulkResult:
    done: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)


def request_bulk_decide(
    *,
    actor: User,
    ids: Iterable[int],
    decision: str,
    comment: str = "",
    assignee: User | None = None,
) -> BulkResult:
    """Approve, reject or assign many requests with one comment; each on its own.

    One request that cannot be decided (already closed, its change no longer possible)
    does not hold the others back: it is reported.
    """
    if decision == "reject" and not comment.strip():
        raise ValidationError({"comment": _("Tell the clients why.")})
    if decision not in ("approve", "reject", "assign"):
        raise ValidationError(_("Choose what to do with the requests."))
    result = BulkResult()
    for service_request in ServiceRequest.objects.filter(pk__in=list(ids)).order_by("pk"):
        try:
            if decision == "approve":
                request_approve(actor=actor, service_request=service_request, comment=comment)
            elif decision == "reject":
                request_reject(actor=actor, service_request=service_request, comment=comment)
            else:
                request_assign(actor=actor, service_request=service_request, assignee=assignee)
        except ValidationError as exc:
            result.failed.append((service_request.pk, " ".join(exc.messages)))
        else:
            result.done.append(service_request.pk)
    return result


# --- Rules ---------------------------------------------------------------------------------------

RULE_FIELDS = (
    "name",
    "is_enabled",
    "kind",
    "service",
    "tariff_visibility",
    "client_status",
    "min_balance",
    "parameter_code",
    "parameter_min",
    "parameter_max",
    "action",
    "assign_to",
    "message",
)


def rule_save(*, actor: User, rule: Rule | None, data: dict[str, Any], request: Any = None) -> Rule:
    """Create a rule (last in order, disabled unless asked) or change one."""
    with transaction.atomic():
        if rule is None:
            before: dict[str, Any] = {}
            last = Rule.objects.order_by("-position").values_list("position", flat=True).first()
            rule = Rule(created_by=actor, position=(last or 0) + 10)
        else:
            rule = Rule.objects.select_for_update().get(pk=rule.pk)
            before = audit_snapshot(rule, RULE_FIELDS)
        for name, value in data.items():
            setattr(rule, name, value)
        if rule.action != RuleAction.ASSIGN:
            rule.assign_to = None
        rule.full_clean(exclude=["created_by"])
        rule.save()
        after = audit_snapshot(rule, RULE_FIELDS)
        if before != after:
            audit_record(
                actor=actor,
                action="rule.update" if before else "rule.create",
                obj=rule,
                before=before,
                after=after,
                request=request,
            )
    return rule


def rule_set_enabled(*, actor: User, rule: Rule, enabled: bool, request: Any = None) -> Rule:
    with transaction.atomic():
        rule = Rule.objects.select_for_update().get(pk=rule.pk)
        if rule.is_enabled == enabled:
            return rule
        rule.is_enabled = enabled
        rule.save(update_fields=["is_enabled", "updated_at"])
        audit_record(
            actor=actor,
            action="rule.enable" if enabled else "rule.disable",
            obj=rule,
            before={"is_enabled": not enabled},
            after={"is_enabled": enabled},
            request=request,
        )
    return rule


def rule_move(*, actor: User, rule: Rule, direction: str, request: Any = None) -> Rule:
    """Swap a rule with its neighbour above ("up") or below ("down")."""
    if direction not in ("up", "down"):
        raise ValidationError(_("Move a rule up or down."))
    with transaction.atomic():
        rules = list(Rule.objects.select_for_update().order_by("position", "id"))
        index = next(i for i, r in enumerate(rules) if r.pk == rule.pk)
        other = index - 1 if direction == "up" else index + 1
        if other < 0 or other >= len(rules):
            return rules[index]
        before = [r.pk for r in rules]
        rules[index], rules[other] = rules[other], rules[index]
        # Renumber so equal positions can never make the order ambiguous.
        for number, item in enumerate(rules, start=1):
            if item.position != number * 10:
                item.position = number * 10
                item.save(update_fields=["position", "updated_at"])
        moved = rules[other]
        audit_record(
            actor=actor,
            action="rule.move",
            obj=moved,
            before={"order": before},
            after={"order": [r.pk for r in rules]},
            request=request,
        )
    return moved


def rule_delete(*, actor: User, rule: Rule, request: Any = None) -> None:
    """Delete a rule that never acted; one that did is history: disable it instead."""
    with transaction.atomic():
        rule = Rule.objects.select_for_update().get(pk=rule.pk)
        if rule.events.exists() or rule.requests.exists():
            raise ValidationError(
                _("This rule has made decisions and is kept as their record; disable it instead.")
            )
        audit_record(
            actor=actor,
            action="rule.delete",
            obj=rule,
            before=audit_snapshot(rule, RULE_FIELDS),
            request=request,
        )
        rule.delete()


# --- self-service changes of a subscription -------------------------------------------------


def subscription_client_change(
    *,
    user: User,
    subscription: Subscription,
    raw: dict[str, Any],
    request: HttpRequest | None = None,
) -> tuple[dict[str, Any], Any]:
    """A client changes the parameters they may change.

    Those that need no approval are applied at once; the others become one request for
    a manager. Returns (applied values, the request or None).
    """
    specs = [s for s in subscription.service.parameters.all() if s.client_editable]
    editable = {s.code: s for s in specs}
    forged = set(raw) - set(editable)
    if forged:
        raise ValidationError(
            _("These settings cannot be changed by you: %(names)s")
            % {"names": ", ".join(sorted(forged))}
        )
    if subscription.client.status != ClientStatus.ACTIVE:
        raise ValidationError(_("Settings can be changed while the contract is active."))
    cleaned, errors = clean_values(specs, raw, only=set(raw))
    if errors:
        raise ValidationError(errors)
    current = subscription.parameters
    changed = {
        code: v for code, v in cleaned.items() if current.get(code, editable[code].default) != v
    }
    immediate = {c: v for c, v in changed.items() if not editable[c].needs_approval}
    approval = {c: v for c, v in changed.items() if editable[c].needs_approval}
    with transaction.atomic():
        if immediate:
            subscription_set_parameters(
                actor=user,
                subscription=subscription,
                values=immediate,
                request=request,
                notify=False,
            )
        service_request = None
        if approval:
            service_request = request_create(
                user=user,
                client=subscription.client,
                kind=RequestKind.CHANGE_PARAMETERS,
                subscription=subscription,
                parameters=approval,
            )
    return immediate, service_request

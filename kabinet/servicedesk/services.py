"""Client requests: filing, deciding and applying them.

Approving applies the change through the catalog's and subscriptions' own services, so a
request does exactly what a manager's direct change would.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kabinet.accounts.models import Client, ClientStatus, Role, User
from kabinet.accounts.services import client_users
from kabinet.audit.services import audit_record
from kabinet.catalog.models import Service, Tariff
from kabinet.catalog.params import clean_values, defaults
from kabinet.catalog.selectors import tariffs_offered_to
from kabinet.notifications.models import Category
from kabinet.notifications.services import notification_send
from kabinet.subscriptions.models import Subscription
from kabinet.subscriptions.services import (
    subscription_change_tariff,
    subscription_connect,
    subscription_set_parameters,
    subscription_set_status,
)

from .models import OPEN_STATUSES, RequestEvent, RequestKind, RequestStatus, ServiceRequest


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
) -> ServiceRequest:
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
        if client.manager_id:
            notification_send(
                users=[client.manager],  # type: ignore[list-item]
                category=Category.REQUEST,
                title=gettext_lazy("New request #%(id)s from %(client)s: %(kind)s"),
                params={
                    "id": service_request.pk,
                    "client": client.name,
                    "kind": RequestKind(kind).label,
                },
                url=reverse("manager:request_detail", args=[service_request.pk]),
                email=False,
            )
        _after_create(service_request)
    return service_request


def _after_create(service_request: ServiceRequest) -> None:
    """Hook for automatic processing (automation rules) once the request is committed."""
    hook = getattr(settings, "KABINET_REQUEST_CREATED_HOOK", "")
    if hook:
        from django.utils.module_loading import import_string

        pk = service_request.pk
        transaction.on_commit(lambda: import_string(hook)(pk))


def _apply(service_request: ServiceRequest, actor: User) -> None:
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
    rule_name: str,
) -> None:
    service_request.status = status
    service_request.comment = comment
    service_request.decided_by = actor
    service_request.decided_at = timezone.now()
    if status in (RequestStatus.DONE, RequestStatus.REJECTED, RequestStatus.WITHDRAWN):
        service_request.closed_at = timezone.now()
    service_request.save()
    RequestEvent.objects.create(
        request=service_request, actor=actor, status=status, comment=comment, rule_name=rule_name
    )


_TITLES = {
    RequestStatus.DONE: gettext_lazy("Request #%(id)s is done: %(kind)s"),
    RequestStatus.REJECTED: gettext_lazy("Request #%(id)s is rejected: %(kind)s"),
}


def request_approve(
    *, actor: User, service_request: ServiceRequest, comment: str = "", rule_name: str = ""
) -> ServiceRequest:
    """Approve and carry out the request (approved → done), or fail and change nothing."""
    with transaction.atomic():
        service_request = (
            ServiceRequest.objects.select_for_update()
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
                rule_name=rule_name,
            )
        else:
            _decide(
                service_request,
                actor=actor,
                status=RequestStatus.APPROVED,
                comment=comment,
                rule_name=rule_name,
            )
            _apply(service_request, actor)
            _decide(
                service_request,
                actor=actor,
                status=RequestStatus.DONE,
                comment=comment,
                rule_name=rule_name,
            )
        audit_record(
            actor=actor,
            action="request.approve",
            obj=service_request,
            after={"status": "done"},
            comment=comment,
        )
        _notify_client(service_request)
    return service_request


def request_reject(
    *, actor: User | None, service_request: ServiceRequest, comment: str, rule_name: str = ""
) -> ServiceRequest:
    if not comment.strip():
        raise ValidationError({"comment": _("Tell the client why.")})
    with transaction.atomic():
        service_request = (
            ServiceRequest.objects.select_for_update()
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
            rule_name=rule_name,
        )
        audit_record(
            actor=actor,
            action="request.reject",
            obj=service_request,
            after={"status": "rejected"},
            comment=comment,
        )
        _notify_client(service_request)
    return service_request


def request_withdraw(*, user: User, service_request: ServiceRequest) -> ServiceRequest:
    with transaction.atomic():
        service_request = ServiceRequest.objects.select_for_update().get(pk=service_request.pk)
        if user.role == Role.CLIENT and service_request.client_id != user.membership.client_id:
            raise PermissionDenied
        if service_request.status != RequestStatus.NEW:
            raise ValidationError(_("Only a request that is not yet decided can be withdrawn."))
        _decide(
            service_request, actor=user, status=RequestStatus.WITHDRAWN, comment="", rule_name=""
        )
    return service_request


def _notify_client(service_request: ServiceRequest) -> None:
    title = _TITLES.get(RequestStatus(service_request.status))
    if title is None:
        return
    notification_send(
        users=client_users(client=service_request.client),
        category=Category.REQUEST,
        title=title,
        params={"id": service_request.pk, "kind": RequestKind(service_request.kind).label},
        body=service_request.comment,
        url=reverse("cabinet:request_detail", args=[service_request.pk]),
    )

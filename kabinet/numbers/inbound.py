"""Billing→website records of the second December list (specs/billing-exchange.md):
``number.assigned`` and ``number.released`` (the contracts' numbers) and ``call_label.status``
(what became of a labelling application billing was sent).

A number belongs to one contract at a time: assigning a number another contract holds (in
the database, or earlier in the same package) rejects the whole package, as does a release
by a contract that does not hold the number or a status for an application the website never
sent.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from kabinet.exchange import records as f
from kabinet.exchange.records import MAX_ID, Record
from kabinet.exchange.registry import ApplyContext, ScanContext, register_inbound

from . import services
from .models import CallLabel, CallLabelVersion, LabelStatus, PhoneNumber

NUMBER_RE = re.compile(r"[1-9][0-9]{6,14}")
LABEL_STATUSES = ("accepted", "active", "rejected", "withdrawn")


def _number(value: Any) -> str:
    if not isinstance(value, str) or not NUMBER_RE.fullmatch(value):
        raise f.RecordError('must be digits with the country code, like "78124001001"')
    return value


def _uuid(value: Any) -> str:
    try:
        if not isinstance(value, str):
            raise ValueError
        return str(uuid.UUID(value))
    except ValueError:
        raise f.RecordError("must be a UUID") from None


def _version(value: Any) -> int:
    number = f.count(value)
    if number < 1:
        raise f.RecordError("must be 1 or more")
    return number


ASSIGNED = {
    "contract": f.text(20),
    "number": _number,
    "subscription_id": f.text(MAX_ID, empty=True),
    "assigned_at": f.time,
}
RELEASED = {"contract": f.text(20), "number": _number, "released_at": f.time}
STATUS = {
    "contract": f.text(20),
    "label_id": _uuid,
    "version": _version,
    "status": f.choice(LABEL_STATUSES),
    "reason": f.text(500, empty=True),
    "as_of": f.time,
}

_NOBODY = ""


def _holder(ctx: ScanContext, number: str) -> str:
    """The contract holding ``number`` as of this line of the package ("" for none)."""
    holders: dict[str, str] = ctx.scratch("numbers.holders", dict)
    if number not in holders:
        row = (
            PhoneNumber.objects.filter(number=number, released_at__isnull=True)
            .values_list("client__contract_number", flat=True)
            .first()
        )
        holders[number] = row or _NOBODY
    return holders[number]


def _check_assigned(ctx: ScanContext, record: Record) -> str | None:
    data = record.data
    contract, number = data["contract"], data["number"]
    subscription = data["subscription_id"]
    if subscription and (contract, subscription) not in ctx.known.subscriptions:
        return f"unknown subscription {subscription!r} of contract {contract!r}"
    holder = _holder(ctx, number)
    if holder not in (_NOBODY, contract):
        return (
            f"number {number} belongs to contract {holder!r}: release it there before "
            f"assigning it to contract {contract!r}"
        )
    ctx.state["numbers.holders"][number] = contract
    return None


def _check_released(ctx: ScanContext, record: Record) -> str | None:
    contract, number = record.data["contract"], record.data["number"]
    holder = _holder(ctx, number)
    if holder != contract:
        return f"number {number} is not assigned to contract {contract!r}"
    ctx.state["numbers.holders"][number] = _NOBODY
    return None


def _check_status(ctx: ScanContext, record: Record) -> str | None:
    data = record.data
    # What the database held before the package, read once per version: a line is checked
    # before it is applied, and an earlier line of the package may have changed the status.
    versions: dict[tuple[str, int], tuple[str | None, str | None]] = ctx.scratch(
        "numbers.label_versions", dict
    )
    key = (str(data["label_id"]), data["version"])
    if key not in versions:
        label = (
            CallLabel.objects.filter(pk=data["label_id"])
            .values_list("client__contract_number", flat=True)
            .first()
        )
        status = (
            CallLabelVersion.objects.filter(label_id=data["label_id"], version=data["version"])
            .values_list("status", flat=True)
            .first()
        )
        versions[key] = (label, status)
    label, version = versions[key]
    if label is None or label != data["contract"]:
        return f"unknown labelling application {data['label_id']} of contract {data['contract']!r}"
    if version is None or version in (LabelStatus.MODERATION, LabelStatus.DECLINED):
        return f"version {data['version']} of labelling {data['label_id']} was never sent"
    return None


def _apply_assigned(ctx: ApplyContext, run: list[tuple[int, Record]]) -> None:
    for _number, record in run:
        data = record.data
        subscription_id = (
            ctx.known.subscriptions[(data["contract"], data["subscription_id"])]
            if data["subscription_id"]
            else None
        )
        services.number_assign(
            client_id=ctx.client_id(record),
            number=data["number"],
            subscription_id=subscription_id,
            at=data["assigned_at"],
        )


def _apply_released(ctx: ApplyContext, run: list[tuple[int, Record]]) -> None:
    for _number, record in run:
        services.number_release(
            client_id=ctx.client_id(record),
            number=record.data["number"],
            at=record.data["released_at"],
        )


def _apply_status(ctx: ApplyContext, run: list[tuple[int, Record]]) -> None:
    for line, record in run:
        data = record.data
        note = services.label_status_apply(
            label_id=data["label_id"],
            version=data["version"],
            status=data["status"],
            reason=data["reason"],
            as_of=data["as_of"],
            package=ctx.package,
        )
        if note:
            ctx.note(line, note)


def register() -> None:
    register_inbound(
        "number.assigned", fields=ASSIGNED, apply=_apply_assigned, check=_check_assigned
    )
    register_inbound(
        "number.released", fields=RELEASED, apply=_apply_released, check=_check_released
    )
    register_inbound("call_label.status", fields=STATUS, apply=_apply_status, check=_check_status)

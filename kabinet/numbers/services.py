"""Numbers and call labelling: billing's numbers, filing an application (a new version of the
company's labelling), moderation, billing's answers, withdrawal, and the lists managers keep.

Billing hears of an approved version as ``call_label.submitted`` and of a withdrawal as
``call_label.withdrawn``; the website never assumes billing applied either until billing
says so with ``call_label.status``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kabinet.accounts.models import Client, ClientStatus, User
from kabinet.accounts.selectors import company_users, is_company_admin
from kabinet.audit.services import audit_record
from kabinet.calls.selectors import ZERO_TOTALS, Period, Totals, this_month, totals_by_number
from kabinet.catalog.models import Service, Tariff, Visibility
from kabinet.exchange.models import ExchangePackage
from kabinet.exchange.outbox import outbox_record
from kabinet.notifications.models import Category
from kabinet.notifications.services import notification_send
from kabinet.payments.state import managers_for, wire_time
from kabinet.subscriptions.models import Subscription, SubscriptionStatus
from kabinet.subscriptions.services import subscription_connect, subscription_set_status

from .models import (
    SENT_STATUSES,
    CallCategory,
    CallLabel,
    CallLabelEvent,
    CallLabelVersion,
    ConsentText,
    LabelStatus,
    PhoneNumber,
)

MAX_TEXT = 32

# --- numbers (from billing) -------------------------------------------------------------------


def number_assign(
    *, client_id: int, number: str, subscription_id: int | None, at: dt.datetime
) -> PhoneNumber:
    """Billing says the contract has ``number`` from ``at`` on (the import checked that no
    other contract holds it). Again for a number the contract holds: its service is updated."""
    current = (
        PhoneNumber.objects.select_for_update()
        .filter(number=number, released_at__isnull=True)
        .first()
    )
    if current is not None and current.client_id == client_id:
        if subscription_id and current.subscription_id != subscription_id:
            current.subscription_id = subscription_id
            current.save(update_fields=["subscription"])
        return current
    return PhoneNumber.objects.create(
        number=number, client_id=client_id, subscription_id=subscription_id, assigned_at=at
    )


def number_release(*, client_id: int, number: str, at: dt.datetime) -> None:
    PhoneNumber.objects.filter(number=number, client_id=client_id, released_at__isnull=True).update(
        released_at=at
    )


def current_numbers(client: Client) -> list[PhoneNumber]:
    return list(
        PhoneNumber.objects.filter(client=client, released_at__isnull=True).select_related(
            "subscription__service"
        )
    )


# --- labelling: reading -----------------------------------------------------------------------


def open_label(client: Client) -> CallLabel | None:
    return CallLabel.objects.filter(client=client, withdrawn_at__isnull=True).first()


@dataclass(frozen=True)
class LabelState:
    """What the client sees: the version in force, the newest one on its way, and whether a
    new application may be filed."""

    label: CallLabel | None
    active: CallLabelVersion | None
    pending: CallLabelVersion | None
    versions: list[CallLabelVersion]

    @property
    def in_moderation(self) -> bool:
        return self.pending is not None and self.pending.status == LabelStatus.MODERATION


def label_state(client: Client) -> LabelState:
    label = open_label(client)
    if label is None:
        return LabelState(None, None, None, [])
    versions = list(
        CallLabelVersion.objects.filter(label=label)
        .select_related("category", "consented_by", "decided_by", "consent")
        .defer("pdf")
        .order_by("-version")
    )
    active = next((v for v in versions if v.status == LabelStatus.ACTIVE), None)
    newest = versions[0] if versions else None
    pending = (
        newest
        if newest is not None
        and newest.status in (LabelStatus.MODERATION, LabelStatus.SUBMITTED, LabelStatus.ACCEPTED)
        else None
    )
    return LabelState(label, active, pending, versions)


def number_label_status(numbers: list[PhoneNumber], state: LabelState) -> dict[str, str]:
    """number → the label status shown next to it (a version's status, or "")."""
    shown: dict[str, str] = {}
    if state.active is not None:
        for n in state.active.numbers:
            shown[n] = LabelStatus.ACTIVE
    if state.pending is not None:
        for n in state.pending.numbers:
            shown.setdefault(n, state.pending.status)
    return {p.number: shown.get(p.number, "") for p in numbers}


# --- the Numbers screen ------------------------------------------------------------------------


@dataclass(frozen=True)
class NumberRow:
    """A number on the Numbers screen: its labelling and this month's calls."""

    number: PhoneNumber
    status: str
    status_label: str
    month: Totals | None


@dataclass(frozen=True)
class NumbersPage:
    current: list[NumberRow]
    released: list[NumberRow]
    state: LabelState
    period: Period


def numbers_page(client: Client) -> NumbersPage:
    """The company's numbers, current and former, with the labelling status of each and its
    calls, minutes and amount this month (one grouped query over the month's calls). A
    number held twice shows the month's figures once: on its current row, else its newest."""
    rows = list(PhoneNumber.objects.filter(client=client).select_related("subscription__service"))
    current = [n for n in rows if n.released_at is None]
    state = label_state(client)
    shown = number_label_status(current, state)
    labels = dict(LabelStatus.choices)
    period = this_month()
    totals = totals_by_number(client, period)
    seen: set[str] = set()

    def month_of(number: str) -> Totals | None:
        if number in seen:
            return None
        seen.add(number)
        return totals.get(number, ZERO_TOTALS)

    current_rows = [
        NumberRow(n, shown[n.number], str(labels.get(shown[n.number], "")), month_of(n.number))
        for n in current
    ]
    released = sorted(
        (n for n in rows if n.released_at is not None),
        key=lambda n: n.released_at,  # type: ignore[arg-type,return-value]
        reverse=True,
    )
    released_rows = [NumberRow(n, "", "", month_of(n.number)) for n in released]
    return NumbersPage(current_rows, released_rows, state, period)


# --- labelling: the client's application -------------------------------------------------------


def allowed_text_re() -> re.Pattern[str]:
    return re.compile(f"[{settings.KABINET_CALL_LABEL_CHARS}]+")


def check_display_text(text: str) -> str:
    """The display text as stored, or ValidationError saying what is wrong."""
    # Composed form: "й" typed as "и" and a combining breve counts as the one letter it is.
    text = " ".join(unicodedata.normalize("NFC", text).split())
    if not text:
        raise ValidationError(_("Enter the text the called person's phone shows."))
    if len(text) > MAX_TEXT:
        raise ValidationError(
            _("At most %(max)s characters; this text has %(n)s.")
            % {"max": MAX_TEXT, "n": len(text)}
        )
    if not allowed_text_re().fullmatch(text):
        bad = sorted({c for c in text if not allowed_text_re().fullmatch(c)})
        raise ValidationError(
            _("Only letters, digits and spaces; not allowed: %(chars)s")
            % {"chars": " ".join(repr(c)[1:-1] for c in bad[:10])}
        )
    return text


def consent_current() -> ConsentText | None:
    return ConsentText.objects.order_by("-version").first()


def label_apply(
    *,
    client: Client,
    actor: User,
    brand: str,
    category: CallCategory,
    display_text: str,
    numbers: list[str],
    consent: ConsentText,
    ip: str | None,
    now: dt.datetime | None = None,
) -> CallLabelVersion:
    """File an application: the company's first labelling, or a new version of it. Raises
    ValidationError with the reason otherwise."""
    # fpdf adds ~15 MiB to a process: only filing an application (its PDF) needs it.
    from .documents import application_pdf

    if not is_company_admin(actor, client):
        raise ValidationError(_("Only the company's administrators file labelling applications."))
    if client.status == ClientStatus.CLOSED:
        raise ValidationError(_("The contract is closed."))
    if not category.is_active:
        raise ValidationError(_("This category is no longer offered; choose another."))
    text = check_display_text(display_text)
    brand = " ".join(brand.split())[:100]
    now = now or timezone.now()
    with transaction.atomic():
        Client.objects.select_for_update().filter(pk=client.pk).first()
        latest = consent_current()
        if latest is None or latest.pk != consent.pk:
            raise ValidationError(
                _("The consent text has changed while you were filling the form: read it again.")
            )
        own = {p.number for p in current_numbers(client)}
        chosen = list(dict.fromkeys(numbers))
        if not chosen:
            raise ValidationError(_("Choose at least one number."))
        foreign = [n for n in chosen if n not in own]
        if foreign:
            raise ValidationError(
                _("These numbers are not the company's current numbers: %(numbers)s")
                % {"numbers": ", ".join(foreign[:5])}
            )
        label = open_label(client)
        if label is None:
            label = CallLabel.objects.create(client=client, created_at=now)
        elif CallLabelVersion.objects.filter(label=label, status=LabelStatus.MODERATION).exists():
            raise ValidationError(
                _("An application is already in moderation: wait for the operator's decision.")
            )
        number = (
            CallLabelVersion.objects.filter(label=label).aggregate(n=Max("version"))["n"] or 0
        ) + 1
        try:
            with transaction.atomic():
                version = CallLabelVersion.objects.create(
                    label=label,
                    client=client,
                    version=number,
                    legal_name=client.name,
                    brand=brand,
                    category=category,
                    display_text=text,
                    numbers=sorted(chosen),
                    consent=consent,
                    consented_by=actor,
                    consented_at=now,
                    consent_ip=ip,
                    status_at=now,
                )
        except IntegrityError:
            raise ValidationError(
                _("An application is already in moderation: wait for the operator's decision.")
            ) from None
        version.pdf = application_pdf(version)
        version.save(update_fields=["pdf"])
        audit_record(
            actor=actor,
            action="call_label.apply",
            obj=version,
            after={
                "version": number,
                "text": text,
                "category": category.code,
                "numbers": version.numbers,
                "consent_version": consent.version,
                "ip": ip or "",
            },
        )
        staff = managers_for(client)
        if staff:
            notification_send(
                users=staff,
                category=Category.SERVICE,
                title=gettext_lazy("Call labelling application from contract %(contract)s"),
                body=gettext_lazy("“%(text)s”: check it and approve or decline."),
                params={"contract": client.contract_number, "text": text},
                url=f"/manager/call-labelling/{version.pk}/",
                email=False,
            )
    return version


def label_withdraw(*, client: Client, actor: User, now: dt.datetime | None = None) -> CallLabel:
    """Stop labelling: an application in moderation ends at once; billing is told to stop
    showing a version it was sent (``call_label.withdrawn``); the labelling service ends
    unless another labelling of the company is still in moderation or with billing."""
    if not is_company_admin(actor, client):
        raise ValidationError(_("Only the company's administrators withdraw labelling."))
    now = now or timezone.now()
    with transaction.atomic():
        label = (
            CallLabel.objects.select_for_update()
            .filter(client=client, withdrawn_at__isnull=True)
            .first()
        )
        if label is None:
            raise ValidationError(_("The company has no labelling to withdraw."))
        label.withdrawn_at = now
        label.withdrawn_by = actor
        label.save(update_fields=["withdrawn_at", "withdrawn_by"])
        CallLabelVersion.objects.filter(label=label, status=LabelStatus.MODERATION).update(
            status=LabelStatus.WITHDRAWN, status_at=now
        )
        if label.sent_version:
            outbox_record(
                type="call_label.withdrawn",
                data={
                    "contract": client.contract_number,
                    "label_id": str(label.pk),
                    "withdrawn_at": wire_time(now),
                },
            )
        else:
            CallLabelVersion.objects.filter(label=label).exclude(
                status__in=[LabelStatus.WITHDRAWN, LabelStatus.DECLINED]
            ).update(status=LabelStatus.WITHDRAWN, status_at=now)
        audit_record(actor=actor, action="call_label.withdraw", obj=label)
        _unsubscribe(client, actor, besides=label)
    return label


# --- moderation ---------------------------------------------------------------------------


def submitted_data(version: CallLabelVersion) -> dict[str, Any]:
    return {
        "contract": version.client.contract_number,
        "label_id": str(version.label_id),
        "version": version.version,
        "legal_name": version.legal_name,
        "brand": version.brand,
        "category": version.category.code,
        "display_text": version.display_text,
        "numbers": list(version.numbers),
        "consent_version": version.consent.version,
        "consented_at": wire_time(version.consented_at),
        "consented_by": version.consented_by.email,
    }


def _locked_in_moderation(version: CallLabelVersion) -> CallLabelVersion:
    locked = (
        CallLabelVersion.objects.select_for_update()
        .select_related("client", "label", "category", "consent", "consented_by")
        .filter(pk=version.pk)
        .first()
    )
    if locked is None or locked.status != LabelStatus.MODERATION:
        raise ValidationError(_("This application has already been decided."))
    return locked


def _notify_client(version: CallLabelVersion, title: Any, body: Any, **extra: Any) -> None:
    notification_send(
        users=company_users(version.client),
        category=Category.SERVICE,
        title=title,
        body=body,
        params={
            "contract": version.client.contract_number,
            "text": version.display_text,
            **extra,
        },
        url="/cabinet/call-labelling/",
    )


def label_service_tariff() -> Tariff | None:
    """The catalogue's labelling service's tariff a company is connected on: its public one."""
    service = Service.objects.filter(code=settings.KABINET_CALL_LABEL_SERVICE).first()
    if service is None:
        return None
    return (
        Tariff.objects.alive()
        .filter(service=service, visibility=Visibility.PUBLIC)
        .prefetch_related("versions")
        .order_by("id")
        .first()
    )


def _subscribe(client: Client, actor: User) -> Subscription | None:
    tariff = label_service_tariff()
    if tariff is None:
        return None
    existing = (
        Subscription.objects.filter(client=client, service=tariff.service)
        .exclude(status=SubscriptionStatus.CLOSED)
        .first()
    )
    if existing is not None:
        return existing
    return subscription_connect(actor=actor, client=client, tariff=tariff)


def _still_labelled(client: Client, *, besides: CallLabel) -> bool:
    """Whether another labelling of the company is in moderation or with billing (sent,
    accepted, active — an earlier one too, until billing confirms its withdrawal)."""
    return (
        CallLabelVersion.objects.filter(
            client=client, status__in=[LabelStatus.MODERATION, *SENT_STATUSES]
        )
        .exclude(label=besides)
        .exists()
    )


def _unsubscribe(client: Client, actor: User | None, *, besides: CallLabel) -> None:
    """End the company's labelling service once no labelling of it is left, the way a
    manager disconnects a service (billing hears of it as of any subscription)."""
    if _still_labelled(client, besides=besides):
        return
    open_ones = Subscription.objects.filter(
        client=client, service__code=settings.KABINET_CALL_LABEL_SERVICE
    ).exclude(status=SubscriptionStatus.CLOSED)
    for subscription in open_ones:
        subscription_set_status(
            actor=actor, subscription=subscription, status=SubscriptionStatus.CLOSED
        )


def label_approve(*, version: CallLabelVersion, actor: User) -> CallLabelVersion:
    """The manager checked the application: it goes to billing, and the company is
    connected to the labelling service (once)."""
    now = timezone.now()
    with transaction.atomic():
        version = _locked_in_moderation(version)
        if version.client.status == ClientStatus.CLOSED:
            raise ValidationError(_("The contract is closed."))
        current = {p.number for p in current_numbers(version.client)}
        gone = [n for n in version.numbers if n not in current]
        if gone:
            raise ValidationError(
                _("Some numbers are no longer the company's: %(numbers)s. Decline it.")
                % {"numbers": ", ".join(gone[:5])}
            )
        version.status = LabelStatus.SUBMITTED
        version.decided_by = actor
        version.decided_at = now
        version.status_at = now
        version.save(update_fields=["status", "decided_by", "decided_at", "status_at"])
        CallLabel.objects.filter(pk=version.label_id).update(sent_version=version.version)
        outbox_record(type="call_label.submitted", data=submitted_data(version))
        _subscribe(version.client, actor)
        audit_record(actor=actor, action="call_label.approve", obj=version)
        _notify_client(
            version,
            gettext_lazy("Call labelling for contract %(contract)s is approved"),
            gettext_lazy(
                "“%(text)s” is sent to the operators; it shows on calls once they turn it on."
            ),
        )
    return version


def label_decline(*, version: CallLabelVersion, actor: User, reason: str) -> CallLabelVersion:
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError(_("Say why the application is declined."))
    now = timezone.now()
    with transaction.atomic():
        version = _locked_in_moderation(version)
        version.status = LabelStatus.DECLINED
        version.reason = reason[:500]
        version.decided_by = actor
        version.decided_at = now
        version.status_at = now
        version.save(update_fields=["status", "reason", "decided_by", "decided_at", "status_at"])
        audit_record(actor=actor, action="call_label.decline", obj=version, comment=reason[:300])
        _notify_client(
            version,
            gettext_lazy("Call labelling application for contract %(contract)s is declined"),
            gettext_lazy("“%(text)s” is declined: %(reason)s"),
            reason=reason[:500],
        )
    return version


# --- billing's answers --------------------------------------------------------------------

STATUS_OF = {
    "accepted": LabelStatus.ACCEPTED,
    "active": LabelStatus.ACTIVE,
    "rejected": LabelStatus.REJECTED,
    "withdrawn": LabelStatus.WITHDRAWN,
}


def label_status_apply(
    *,
    label_id: str,
    version: int,
    status: str,
    reason: str,
    as_of: dt.datetime,
    package: ExchangePackage,
) -> str:
    """Apply billing's ``call_label.status`` inside the import (the import checked the label
    and the version exist and were sent). Returns a note when it changed nothing."""
    label = CallLabel.objects.select_for_update().select_related("client").get(pk=label_id)
    newest = label.sent_version
    applied = version >= newest
    CallLabelEvent.objects.create(
        label=label,
        version=version,
        status=status,
        reason=reason,
        as_of=as_of,
        applied=applied,
        package=package,
    )
    if not applied:
        return f"version {version} is older than version {newest} sent since: recorded only"
    target = CallLabelVersion.objects.select_related("client").get(label=label, version=version)
    new_status = STATUS_OF[status]
    if target.status == new_status:
        return f"version {version} is already {status}"
    if status == "withdrawn":
        # Billing stopped showing the labelling: every version of it ends.
        CallLabelVersion.objects.filter(label=label, status__in=SENT_STATUSES).update(
            status=LabelStatus.WITHDRAWN, status_at=as_of
        )
        if label.withdrawn_at is None:
            label.withdrawn_at = as_of
            label.save(update_fields=["withdrawn_at"])
        # The service stayed while this labelling was still shown after a later one ended.
        _unsubscribe(label.client, None, besides=label)
    else:
        if status == "active":
            # The successor is in force: the version it replaces ends.
            CallLabelVersion.objects.filter(
                label=label, status__in=SENT_STATUSES, version__lt=version
            ).update(status=LabelStatus.SUPERSEDED, status_at=as_of)
        target.status = new_status
        target.reason = reason[:500]
        target.status_at = as_of
        target.save(update_fields=["status", "reason", "status_at"])
    if status in ("active", "rejected", "withdrawn"):
        titles = {
            "active": gettext_lazy("Call labelling for contract %(contract)s is active"),
            "rejected": gettext_lazy("The operators rejected call labelling for %(contract)s"),
            "withdrawn": gettext_lazy("Call labelling for contract %(contract)s is withdrawn"),
        }
        bodies = {
            "active": gettext_lazy("Called phones now show “%(text)s”."),
            "rejected": gettext_lazy("“%(text)s” was rejected: %(reason)s"),
            "withdrawn": gettext_lazy("Calls are no longer labelled “%(text)s”."),
        }
        _notify_client(target, titles[status], bodies[status], reason=reason or "—")
    return ""


# --- what managers keep -------------------------------------------------------------------


def category_save(*, actor: User, data: dict[str, Any], category: CallCategory | None = None):
    with transaction.atomic():
        if category is None:
            if CallCategory.objects.filter(code=data["code"]).exists():
                raise ValidationError(_("A category with this code exists."))
            category = CallCategory.objects.create(**data)
            audit_record(actor=actor, action="call_category.create", obj=category, after=data)
        else:
            before = {"is_active": category.is_active}
            category.is_active = data["is_active"]
            category.save(update_fields=["is_active"])
            audit_record(
                actor=actor,
                action="call_category.update",
                obj=category,
                before=before,
                after={"is_active": category.is_active},
            )
    return category


def consent_publish(*, actor: User, text: str, text_en: str) -> ConsentText:
    """A new version of the consent text; earlier versions stay with their applications."""
    text, text_en = text.strip(), text_en.strip()
    if not text:
        raise ValidationError(_("Enter the consent text."))
    with transaction.atomic():
        latest = ConsentText.objects.select_for_update().order_by("-version").first()
        if latest is not None and latest.text == text and latest.text_en == text_en:
            raise ValidationError(_("The text is the same as the current version."))
        consent = ConsentText.objects.create(
            version=(latest.version if latest else 0) + 1,
            text=text,
            text_en=text_en,
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="call_label.consent",
            obj=consent,
            after={"version": consent.version},
        )
    return consent

"""The columns of every table the generator writes, parents first."""

from __future__ import annotations

from kabinet.accounts.models import Client, Membership, User
from kabinet.audit.models import AuditEntry
from kabinet.calls.models import Call
from kabinet.catalog.models import (
    TariffOffer,
)
from kabinet.exchange.models import (
    BalanceSnapshot,
    BillingDocument,
    Charge,
    ImportedRecord,
    OutboxRecord,
    UsageSummary,
)
from kabinet.messaging.models import Message, Thread, ThreadRead
from kabinet.notifications.models import Notification
from kabinet.payments.models import LedgerEntry, Payment
from kabinet.servicedesk.models import (
    RequestEvent,
    ServiceRequest,
)
from kabinet.subscriptions.models import Subscription

from .calls import call_columns
from .writer import RowWriter


def register_tables(writer: RowWriter) -> None:
    """Columns of every table written, parents first."""
    writer.register(
        Client,
        [
            "id",
            "contract_number",
            "name",
            "name_search",
            "inn",
            "kpp",
            "legal_address",
            "postal_address",
            "contact_person",
            "contact_phone",
            "contact_email",
            "status",
            "manager_id",
            "note",
            "created_at",
            "updated_at",
            "status_changed_at",
        ],
    )
    writer.register(
        User,
        [
            "id",
            "password",
            "last_login",
            "is_superuser",
            "email",
            "first_name",
            "last_name",
            "is_staff",
            "is_active",
            "date_joined",
            "role",
            "phone",
            "language",
        ],
    )
    writer.register(Membership, ["user_id", "client_id", "role", "position", "created_at"])
    writer.register(TariffOffer, ["tariff_id", "client_id", "created_at"])
    writer.register(
        Subscription,
        [
            "id",
            "client_id",
            "service_id",
            "tariff_id",
            "status",
            "parameters",
            "created_at",
            "updated_at",
            "closed_at",
        ],
    )
    writer.register(
        OutboxRecord, ["id", "record_id", "type", "at", "data", "contract", "package_sequence"]
    )
    writer.register(
        Payment,
        [
            "id",
            "client_id",
            "channel",
            "status",
            "amount",
            "captured_amount",
            "refunded_amount",
            "email",
            "created_by_id",
            "gateway_payment_id",
            "authorized_at",
            "capture_before",
            "captured_at",
            "receipt",
            "terminal_date",
            "accepted_at",
            "moneyback_until",
            "closed_at",
            "capture_record_id",
            "created_at",
            "updated_at",
        ],
    )
    writer.register(
        LedgerEntry, ["client_id", "payment_id", "kind", "amount", "note", "created_at"]
    )
    writer.register(
        AuditEntry,
        [
            "at",
            "actor_id",
            "actor_repr",
            "action",
            "content_type_id",
            "object_id",
            "object_repr",
            "before",
            "after",
            "comment",
        ],
    )
    writer.register(
        Notification,
        [
            "user_id",
            "category",
            "title",
            "body",
            "url",
            "created_at",
            "read_at",
            "email_status",
            "email_attempts",
            "email_sent_at",
        ],
    )
    writer.register(
        ServiceRequest,
        [
            "id",
            "client_id",
            "kind",
            "status",
            "subscription_id",
            "service_id",
            "tariff_id",
            "parameters",
            "subject",
            "text",
            "created_by_id",
            "created_at",
            "assignee_id",
            "due_at",
            "comment",
            "decided_by_id",
            "decided_at",
            "closed_at",
            "processed_at",
        ],
    )
    writer.register(
        RequestEvent, ["request_id", "at", "actor_id", "action", "status", "comment", "assignee_id"]
    )
    writer.register(
        Thread,
        [
            "id",
            "client_id",
            "subject",
            "created_by_id",
            "created_at",
            "last_message_at",
            "awaiting_reply",
        ],
    )
    writer.register(Message, ["thread_id", "author_id", "from_client", "body", "created_at"])
    writer.register(ThreadRead, ["thread_id", "user_id", "read_at"])
    writer.register(
        UsageSummary, ["client_id", "period", "zone", "calls", "minutes", "amount", "package_id"]
    )
    writer.register(
        Charge, ["client_id", "charge_id", "amount", "period", "description", "package_id"]
    )
    writer.register(
        BillingDocument,
        [
            "client_id",
            "document_id",
            "kind",
            "number",
            "date",
            "amount",
            "pdf",
            "has_pdf",
            "package_id",
        ],
    )
    writer.register(BalanceSnapshot, ["client_id", "balance", "as_of", "package_id"])
    writer.register(ImportedRecord, ["record_id", "package_id"])
    writer.register(Call, call_columns())

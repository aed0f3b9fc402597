"""Every filter and search a manager uses is backed by an index.

The querysets are the views' own (the same functions build them), explained by the database
with sequential scans made prohibitively expensive: a plan that still scans the table means
no index can serve that filter. The dataset a real operator has (tens of thousands of clients,
millions of payments) would make such a filter slow; the bench measures it at that size.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection

from kabinet.accounts.forms import ClientSearchForm
from kabinet.accounts.views_manager import search_clients
from kabinet.payments.selectors import payment_search
from kabinet.servicedesk.forms import QueueFilterForm
from kabinet.servicedesk.views_manager import _filtered_queue


def _uses_index(qs: Any, table: str, columns: list[str]) -> tuple[bool, str]:
    """Whether the database finds the rows of ``table`` through an index condition.

    On PostgreSQL (production) the plan itself is checked: a full scan of the table, or a full
    walk of an index with the filter applied row by row, both read the whole table and fail.
    SQLite's planner has no statistics on a test database and prefers the ordering index, so
    there the check is that each filtered column leads an index.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Only bitmap scans are left, and a bitmap scan needs an index condition: a plan
            # that still reaches the table means no index serves the filter. (A plain index
            # scan could walk a whole index instead, which table statistics sometimes favour.)
            for setting in ("enable_seqscan", "enable_indexscan", "enable_indexonlyscan"):
                cursor.execute(f"SET LOCAL {setting} = off")
        # Without the list's ORDER BY: the question is whether an index can find the rows,
        # not which index the planner would walk to avoid a sort at this table's size.
        plan = json.loads(qs.order_by().explain(format="json"))
        return _postgres_node_ok(plan[0]["Plan"], table), json.dumps(plan, indent=1)
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    leading = {c["columns"][0] for c in constraints.values() if c["index"] and c["columns"]}
    missing = [column for column in columns if column not in leading]
    return not missing, f"no index leads with {missing} on {table}"


def _has_index_cond(node: dict[str, Any]) -> bool:
    return "Index Cond" in node or any(_has_index_cond(c) for c in node.get("Plans", []))


def _postgres_node_ok(node: dict[str, Any], table: str) -> bool:
    """Every node reading ``table`` narrows it with an index condition."""
    readers = []

    def walk(n: dict[str, Any]) -> None:
        if n.get("Relation Name") == table:
            readers.append(n)
        for child in n.get("Plans", []):
            walk(child)

    walk(node)
    if not readers:
        return False
    for reader in readers:
        kind = reader["Node Type"]
        if kind == "Bitmap Heap Scan" and ("Recheck Cond" in reader or _has_index_cond(reader)):
            continue
        if kind in ("Index Scan", "Index Only Scan") and "Index Cond" in reader:
            continue
        return False
    return True


# (the form's data, the columns SQLite needs an index on). Searches by a part of a name or
# number are LIKE patterns: on PostgreSQL a trigram and a pattern index serve them; SQLite has
# no such index type and serves single-office installs, so it needs none there.
CLIENT_FILTERS = [
    ({"q": "1000"}, []),  # contract number or INN prefix, or digits in the name
    ({"q": "логист"}, []),  # a part of the company name
    ({"status": "suspended"}, ["status"]),
    ({"manager": "me"}, ["manager_id"]),
    ({"runs_out": "7"}, []),  # found through forecast_forecast's days_left, joined by key
]


@pytest.mark.django_db
@pytest.mark.parametrize(("data", "columns"), CLIENT_FILTERS, ids=str)
def test_client_search_and_filters_use_an_index(data, columns, manager):
    form = ClientSearchForm(data)
    ok, plan = _uses_index(search_clients(form, manager), "accounts_client", columns)
    assert ok, plan


QUEUE_FILTERS = [
    ({"status": "open"}, ["status"]),
    ({"status": "rejected"}, ["status"]),
    ({"status": "", "kind": "connect"}, ["kind"]),
    ({"status": "", "client": "100001"}, ["client_id"]),
    ({"status": "", "assignee": "me"}, ["assignee_id"]),
    ({"status": "", "assignee": "none"}, ["assignee_id"]),
    ({"status": "open", "overdue": "on"}, ["status"]),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("data", "columns"), QUEUE_FILTERS, ids=str)
def test_request_queue_filters_use_an_index(data, columns, manager):
    form = QueueFilterForm(data)
    assert form.is_valid(), form.errors
    qs = _filtered_queue(form, manager)
    ok, plan = _uses_index(qs, "servicedesk_servicerequest", columns)
    assert ok, plan


PAYMENT_FILTERS: list[tuple[dict[str, Any], list[str]]] = [
    ({"status": "captured"}, ["status"]),
    ({"status": "flagged"}, []),  # a partial index of flagged rows; PostgreSQL proves it
    ({"channel": "card"}, ["channel"]),
    ({"contract": "1000"}, ["client_id"]),
    ({"date_from": "2026-11-01"}, ["created_at"]),
    ({"date_to": "2026-11-30"}, ["created_at"]),
    ({"amount_min": "1000.00"}, ["amount"]),
    ({"amount_max": "50.00"}, ["amount"]),
    ({"status": "captured", "channel": "card", "date_from": "2026-11-01"}, ["status"]),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("data", "columns"), PAYMENT_FILTERS, ids=str)
def test_payment_filters_use_an_index(data, columns):
    from kabinet.payments.forms import PaymentFilterForm

    form = PaymentFilterForm(data)
    assert form.is_valid(), form.errors
    qs = payment_search(filters=form.cleaned_data)
    ok, plan = _uses_index(qs, "payments_payment", columns)
    assert ok, plan


AUDIT_FILTERS: list[tuple[dict[str, Any], list[str]]] = [
    ({"action": "payment."}, ["action"]),
    ({"obj": "Балтийская"}, []),  # a part of the object's name: trigram index on PostgreSQL
    ({"date_from": "2026-11-01"}, ["at"]),
    ({"date_to": "2026-11-30"}, ["at"]),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("data", "columns"), AUDIT_FILTERS, ids=str)
def test_audit_log_filters_use_an_index(data, columns):
    from kabinet.audit.views import AuditFilterForm, audit_filtered

    form = AuditFilterForm(data)
    assert form.is_valid(), form.errors
    ok, plan = _uses_index(audit_filtered(form), "audit_auditentry", columns)
    assert ok, plan


@pytest.mark.django_db
def test_audit_log_filter_by_who_uses_an_index(manager):
    from kabinet.audit.views import AuditFilterForm, audit_filtered

    form = AuditFilterForm({"actor": str(manager.pk)})
    assert form.is_valid(), form.errors
    ok, plan = _uses_index(audit_filtered(form), "audit_auditentry", ["actor_id"])
    assert ok, plan

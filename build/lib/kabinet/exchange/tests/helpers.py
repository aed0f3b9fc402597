from __future__ import annotations

import io

from kabinet.exchange.models import (
    BalanceSnapshot,
    BillingDocument,
    Charge,
    ExchangePackage,
    ImportedRecord,
    UsageSummary,
)
from kabinet.exchange.services import ImportResult, exchange_import


def import_bytes(data: bytes, actor=None, name: str = "package.zip") -> ImportResult:  # type: ignore[no-untyped-def]
    return exchange_import(actor=actor, file=io.BytesIO(data), file_name=name)


def billing_state() -> dict[str, int]:
    """Everything an import may change, counted."""
    return {
        "imported_packages": ExchangePackage.objects.filter(status="imported").count(),
        "records": ImportedRecord.objects.count(),
        "snapshots": BalanceSnapshot.objects.count(),
        "charges": Charge.objects.count(),
        "usage": UsageSummary.objects.count(),
        "documents": BillingDocument.objects.count(),
    }


EMPTY_STATE = {
    "imported_packages": 0,
    "records": 0,
    "snapshots": 0,
    "charges": 0,
    "usage": 0,
    "documents": 0,
}

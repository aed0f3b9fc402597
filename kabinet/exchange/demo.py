"""Demo billing data: one full loop through billingsim, once. Idempotent."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import logging
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from .models import ExchangePackage
from .services import exchange_export, exchange_import

logger = logging.getLogger(__name__)


def _months_back(today: dt.date, count: int) -> list[str]:
    months = []
    year, month = today.year, today.month
    for _ in range(count):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        months.append(f"{year:04d}-{month:02d}")
    return list(reversed(months))


def seed_exchange() -> list[str]:
    """Site export → billingsim import and bill (last two months) → billingsim export → import."""
    if ExchangePackage.objects.exists():
        return ["Billing exchange: packages exist, left as they are"]
    keys = Path(settings.VAR_DIR) / "keys"
    billing_key = keys / "billing.pem"
    site_key = Path(settings.KABINET_SITE_PRIVATE_KEY)
    site_public = site_key.with_name(site_key.name.removesuffix(".pem") + ".pub.pem")
    missing = [p for p in (billing_key, site_key, site_public) if not p.exists()]
    if missing:
        logger.info("exchange demo skipped: %s missing", ", ".join(map(str, missing)))
        return [f"Billing exchange: skipped ({missing[0]} is missing)"]

    from billingsim.cli import main as billingsim

    home = Path(settings.VAR_DIR) / "billingsim"
    base = ["--home", str(home), "--key", str(billing_key), "--trust", str(site_public)]
    output = io.StringIO()

    def run(*args: str) -> int:
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            return billingsim([*base, *args])

    package = exchange_export(actor=None)
    if run("import", package.file.path) != 0:
        logger.warning("exchange demo: billingsim refused the site package:\n%s", output.getvalue())
        return ["Billing exchange: billingsim refused the site package (see the log)"]
    periods = _months_back(timezone.localdate(), 2)
    for period in periods:
        run("bill", "--period", period, "--seed", "7", "--calls")
    # A demo client paid one of its invoices by bank transfer: billing tells the website.
    from kabinet.accounting.demo import invoice_to_pay

    number = invoice_to_pay()
    if number is not None:
        run("pay-invoice", number, "--reference", "4172")
    incoming = home / "demo-billing-to-site.zip"
    if run("export", "--out", str(incoming)) != 0:
        return ["Billing exchange: billingsim export failed (see the log)"]
    with incoming.open("rb") as file:
        result = exchange_import(actor=None, file=file, file_name=incoming.name)
    if not result.ok:
        logger.warning("exchange demo: import rejected: %s", result.report)
        return [f"Billing exchange: billing package rejected: {result.report.splitlines()[0]}"]
    return [
        f"Billing exchange: site package {package.sequence} → billingsim, billed "
        f"{' and '.join(periods)}, billing package {result.sequence} imported"
    ]

"""The operator's requisites (from settings) and the client's, as documents print them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kabinet.accounts.models import Client
from kabinet.lib import bankqr
from kabinet.lib.inn import inn_is_valid

# Setting → what the message names when it is missing.
REQUIRED = {
    "KABINET_OPERATOR_LEGAL_NAME": _("legal name"),
    "KABINET_OPERATOR_INN": _("INN"),
    "KABINET_OPERATOR_ADDRESS": _("address"),
    "KABINET_OPERATOR_BANK": _("bank"),
    "KABINET_OPERATOR_BIC": _("BIC"),
    "KABINET_OPERATOR_ACCOUNT": _("settlement account"),
    "KABINET_OPERATOR_CORR_ACCOUNT": _("correspondent account"),
    "KABINET_OPERATOR_SIGNATORY": _("signatory"),
}


def operator() -> dict[str, str]:
    return {
        "name": settings.KABINET_OPERATOR_LEGAL_NAME.strip(),
        "inn": settings.KABINET_OPERATOR_INN.strip(),
        "kpp": settings.KABINET_OPERATOR_KPP.strip(),
        "address": settings.KABINET_OPERATOR_ADDRESS.strip(),
        "bank": settings.KABINET_OPERATOR_BANK.strip(),
        "bic": settings.KABINET_OPERATOR_BIC.strip(),
        "account": settings.KABINET_OPERATOR_ACCOUNT.strip(),
        "corr_account": settings.KABINET_OPERATOR_CORR_ACCOUNT.strip(),
        "signatory": settings.KABINET_OPERATOR_SIGNATORY.strip(),
        "signatory_title": settings.KABINET_OPERATOR_SIGNATORY_TITLE.strip(),
        "accountant": settings.KABINET_OPERATOR_ACCOUNTANT.strip(),
    }


def problems() -> list[str]:
    """What is missing or wrong in the operator's requisites (empty: documents can be issued).
    Each item names the setting, for the administrator who fixes it."""
    found = []
    for name, label in REQUIRED.items():
        if not str(getattr(settings, name, "")).strip():
            found.append(f"{label} ({name})")
    req = operator()
    if req["inn"] and not inn_is_valid(req["inn"]):
        found.append(f"{_('INN')} (KABINET_OPERATOR_INN): {_('the checksum does not match')}")
    if req["bic"] and not bankqr.bic_is_valid(req["bic"]):
        found.append(f"{_('BIC')} (KABINET_OPERATOR_BIC): {_('must be 9 digits')}")
    elif req["bic"] and req["account"]:
        if not bankqr.settlement_account_is_valid(req["bic"], req["account"]):
            found.append(
                f"{_('settlement account')} (KABINET_OPERATOR_ACCOUNT): "
                f"{_('20 digits whose key matches the BIC')}"
            )
        if req["corr_account"] and not bankqr.correspondent_account_is_valid(
            req["bic"], req["corr_account"]
        ):
            found.append(
                f"{_('correspondent account')} (KABINET_OPERATOR_CORR_ACCOUNT): "
                f"{_('20 digits whose key matches the BIC')}"
            )
    if vat_rate() is None:
        found.append(f"{_('VAT rate')} (KABINET_VAT_RATE): {_('a percentage or none')}")
    return found


def vat_rate() -> str | None:
    """The configured VAT rate as text: "20", "10", "0" or "none"; None when invalid."""
    value = settings.KABINET_VAT_RATE.strip().lower().rstrip("%")
    if value == "none":
        return value
    try:
        rate = Decimal(value)
    except ArithmeticError:
        return None
    if not rate.is_finite() or rate < 0 or rate >= 100 or rate != rate.to_integral_value():
        return None
    return str(int(rate))


def vat_in(amount: Decimal, rate: str) -> Decimal:
    """The VAT included in a gross ``amount`` at ``rate`` percent (rounded to kopecks)."""
    if rate == "none":
        return Decimal("0.00")
    percent = Decimal(rate)
    return (amount * percent / (100 + percent)).quantize(Decimal("0.01"))


def buyer(client: Client) -> dict[str, Any]:
    return {
        "name": client.name,
        "inn": client.inn,
        "kpp": client.kpp,
        "address": client.legal_address,
        "contract": client.contract_number,
    }

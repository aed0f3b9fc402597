"""Bank payment QR codes of GOST R 56042-2014 ("Стандарты финансовых операций. Двумерные
символы штрихового кода для осуществления платежей физическими лицами"), which Russian
banks' apps read to fill a payment order, and the checks of bank requisites they carry.

The payload is ``ST0001`` (format and version), ``2`` (UTF-8), the separator ``|``, then
``Name=value`` pairs: the five mandatory ones first (Name, PersonalAcc, BankName, BIC,
CorrespAcc), then additional ones (Sum in kopecks, Purpose, PayeeINN, KPP, …). A value
may not contain the separator; the standard limits each value's length.
"""

from __future__ import annotations

import re
from decimal import Decimal

HEADER = "ST00012"
SEPARATOR = "|"

# Maximum lengths of the values this module writes (GOST R 56042-2014, tables 1 and 2).
LIMITS = {
    "Name": 160,
    "PersonalAcc": 20,
    "BankName": 45,
    "BIC": 9,
    "CorrespAcc": 20,
    "Sum": 18,
    "Purpose": 210,
    "PayeeINN": 12,
    "KPP": 9,
    "PayerINN": 12,
}
MANDATORY = ("Name", "PersonalAcc", "BankName", "BIC", "CorrespAcc")

_BIC_RE = re.compile(r"\d{9}")
_ACCOUNT_RE = re.compile(r"\d{20}")
_WEIGHTS = (7, 1, 3) * 8


class QRError(ValueError):
    """The requisites cannot make a valid payment QR code."""


def bic_is_valid(bic: str) -> bool:
    return bool(_BIC_RE.fullmatch(bic))


def _key_ok(nine: str, account: str) -> bool:
    digits = nine[-3:] + account if len(nine) == 3 else nine
    return sum((int(d) * w) % 10 for d, w in zip(digits, _WEIGHTS, strict=False)) % 10 == 0


def settlement_account_is_valid(bic: str, account: str) -> bool:
    """A settlement account's control key (Bank of Russia rules, 1997): the BIC's last three
    digits and the 20-digit account, weighted 7, 1, 3, sum to a multiple of 10."""
    if not bic_is_valid(bic) or not _ACCOUNT_RE.fullmatch(account):
        return False
    return _key_ok(bic[-3:], account)


def correspondent_account_is_valid(bic: str, account: str) -> bool:
    """A correspondent account's key: ``0`` and the BIC's 5th–6th digits lead the account."""
    if not bic_is_valid(bic) or not _ACCOUNT_RE.fullmatch(account):
        return False
    return _key_ok("0" + bic[4:6], account)


def kopecks(amount: Decimal) -> str:
    return str(int((amount * 100).to_integral_value()))


def payload(fields: list[tuple[str, str]]) -> str:
    """The QR text for ``fields`` (name, value) in order; long free text (Name, BankName,
    Purpose) is shortened to the standard's limit, anything else too long is an error."""
    names = [name for name, _value in fields]
    if tuple(names[: len(MANDATORY)]) != MANDATORY:
        raise QRError(f"the mandatory fields must come first: {', '.join(MANDATORY)}")
    parts = [HEADER]
    for name, raw in fields:
        value = " ".join(raw.replace(SEPARATOR, "/").split())
        if not value:
            raise QRError(f"{name} is empty")
        limit = LIMITS.get(name)
        if limit is not None and len(value) > limit:
            if name not in ("Name", "BankName", "Purpose"):
                raise QRError(f"{name} is longer than {limit} characters")
            value = value[:limit].rstrip()
        parts.append(f"{name}={value}")
    return SEPARATOR.join(parts)


def parse(text: str) -> dict[str, str]:
    """The fields of a QR text (what a bank's app reads); QRError when it is not one."""
    if not text.startswith(HEADER + SEPARATOR):
        raise QRError("not a GOST R 56042-2014 UTF-8 payload")
    result = {}
    for part in text[len(HEADER) + 1 :].split(SEPARATOR):
        name, sep, value = part.partition("=")
        if not sep:
            raise QRError(f"no '=' in {part!r}")
        result[name] = value
    return result

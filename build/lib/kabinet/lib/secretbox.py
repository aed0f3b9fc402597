"""Encrypts small secrets kept in the database (the two-factor shared secrets).

The key is ``KABINET_2FA_KEY`` when set, otherwise derived from ``SECRET_KEY``: a copy of the
database alone never reveals a secret. Changing the key makes every stored secret unreadable
(each user then sets up two-factor sign-in again), so set it once, like ``SECRET_KEY``.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class SecretUnreadable(Exception):
    """The stored value was not made with the current key."""


def _fernet() -> Fernet:
    material = (settings.KABINET_2FA_KEY or settings.SECRET_KEY).encode()
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"kabinet two-factor secrets"
    ).derive(material)
    return Fernet(base64.urlsafe_b64encode(key))


def seal(text: str) -> str:
    return _fernet().encrypt(text.encode()).decode("ascii")


def unseal(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, ValueError) as exc:
        raise SecretUnreadable from exc

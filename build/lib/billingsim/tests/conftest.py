from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from billingsim import db
from billingsim.keys import load_trusted_keys
from billingsim.tests.sitepkg import SiteKey, make_site_key


@pytest.fixture
def site_key(tmp_path: Path) -> SiteKey:
    return make_site_key(tmp_path / "keys")


@pytest.fixture
def trusted(site_key: SiteKey) -> dict[str, Ed25519PublicKey]:
    return load_trusted_keys([site_key.public_path])


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def conn(home: Path) -> Iterator[sqlite3.Connection]:
    connection = db.connect(home)
    yield connection
    connection.close()


def dump(connection: sqlite3.Connection) -> list[str]:
    """The whole database as SQL text: equal dumps mean nothing changed."""
    return list(connection.iterdump())

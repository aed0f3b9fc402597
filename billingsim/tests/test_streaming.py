from __future__ import annotations

import random
import sqlite3
import tracemalloc
import uuid
from collections.abc import Iterator
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from billingsim import db
from billingsim.importer import import_package
from billingsim.tests.sitepkg import SiteKey, line, write_streamed_package

RECORDS = 200_000
CONTRACTS = 50


def uuid4_text(rng: random.Random) -> str:
    """A valid uuid4 string without building UUID objects (the writer must be quick too)."""
    n = rng.getrandbits(128) & ~(0xF000 << 64) | (0x4000 << 64)
    n = n & ~(0xC000 << 48) | (0x8000 << 48)
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def lines() -> Iterator[bytes]:
    rng = random.Random(20261124)
    for n in range(CONTRACTS):
        yield line(
            {
                "id": str(uuid.uuid4()),
                "type": "client.upserted",
                "at": "2026-11-24T10:00:00Z",
                "data": {
                    "contract": f"C{n}",
                    "name": f"Клиент {n}",
                    "inn": "7701234567",
                    "kpp": "",
                    "status": "active",
                },
            }
        )
    for n in range(RECORDS - CONTRACTS):
        second = n % 60
        yield (
            f'{{"id":"{uuid4_text(rng)}","type":"payment.captured",'
            f'"at":"2026-11-24T10:{n // 60 % 60:02d}:{second:02d}Z","data":{{'
            f'"contract":"C{n % CONTRACTS}","payment_id":"PAY-{n}","amount":"10.00",'
            f'"channel":"card","captured_at":"2026-11-24T09:00:{second:02d}.{n:06d}Z"}}}}\n'
        ).encode()


def test_a_200k_record_package_streams_with_flat_memory(
    tmp_path: Path,
    conn: sqlite3.Connection,
    site_key: SiteKey,
    trusted: dict[str, Ed25519PublicKey],
) -> None:
    pkg = write_streamed_package(tmp_path / "big.zip", site_key, 1, lines(), tmp_path)
    package_size = pkg.stat().st_size
    tracemalloc.start()
    try:
        result = import_package(conn, pkg, trusted)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Memory, not time: a wall-clock bound fails on a loaded machine (speed is `make bench`'s).
    assert result.applied == RECORDS
    assert db.balance_cents(conn, "C0") == 1000 * (RECORDS - CONTRACTS) // CONTRACTS
    # The package is ~6 MiB compressed (~42 MiB of JSON); the importer holds only a few
    # chunks and one batch of records (about 1 MiB), whatever the package size.
    assert package_size > 5 * 1024 * 1024
    assert peak < package_size / 3, f"peak {peak} bytes for a {package_size}-byte package"

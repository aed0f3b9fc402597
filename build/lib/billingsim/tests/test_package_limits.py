from __future__ import annotations

import sqlite3
import struct
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from billingsim.importer import ImportRejected, import_package
from billingsim.package import MAX_RATIO
from billingsim.tests.conftest import dump
from billingsim.tests.sitepkg import SiteKey, build_zip, client, payment, write_package

Trusted = dict[str, Ed25519PublicKey]
Members = list[tuple[str, bytes]]


def reject(conn: sqlite3.Connection, pkg: Path, trusted: Trusted) -> str:
    before = dump(conn)
    with pytest.raises(ImportRejected) as caught:
        import_package(conn, pkg, trusted)
    assert dump(conn) == before
    return "\n".join(caught.value.reasons)


def seed(tmp_path: Path, conn: sqlite3.Connection, key: SiteKey, trusted: Trusted) -> None:
    import_package(conn, write_package(tmp_path / "1.zip", key, 1, [client()]), trusted)


def test_extra_member_is_rejected(
    tmp_path: Path, conn: sqlite3.Connection, site_key: SiteKey, trusted: Trusted
) -> None:
    seed(tmp_path, conn, site_key, trusted)
    pkg = write_package(
        tmp_path / "2.zip", site_key, 2, [payment()], mutate=lambda m: [*m, ("notes.txt", b"hi")]
    )
    assert "unexpected member(s): notes.txt" in reject(conn, pkg, trusted)


def test_member_in_a_folder_is_an_extra_member(
    tmp_path: Path, conn: sqlite3.Connection, site_key: SiteKey, trusted: Trusted
) -> None:
    seed(tmp_path, conn, site_key, trusted)

    def nest(members: Members) -> Members:
        return [(f"pkg/{name}" if name == "signature" else name, data) for name, data in members]

    pkg = write_package(tmp_path / "2.zip", site_key, 2, [payment()], mutate=nest)
    assert "unexpected member(s): pkg/signature" in reject(conn, pkg, trusted)


def test_missing_member_is_rejected(
    tmp_path: Path, conn: sqlite3.Connection, site_key: SiteKey, trusted: Trusted
) -> None:
    seed(tmp_path, conn, site_key, trusted)
    pkg = write_package(
        tmp_path / "2.zip",
        site_key,
        2,
        [payment()],
        mutate=lambda m: [x for x in m if x[0] != "signature"],
    )
    assert "missing member(s): signature" in reject(conn, pkg, trusted)


def test_duplicate_member_is_rejected(
    tmp_path: Path, conn: sqlite3.Connection, site_key: SiteKey, trusted: Trusted
) -> None:
    seed(tmp_path, conn, site_key, trusted)
    pkg = write_package(
        tmp_path / "2.zip", site_key, 2, [payment()], mutate=lambda m: [*m, ("records.jsonl", b"")]
    )
    assert "duplicate member(s): records.jsonl" in reject(conn, pkg, trusted)


def test_not_a_zip_is_rejected(tmp_path: Path, conn: sqlite3.Connection, trusted: Trusted) -> None:
    pkg = tmp_path / "junk.zip"
    pkg.write_bytes(b"this is not a zip file")
    assert "not a readable ZIP" in reject(conn, pkg, trusted)


def test_bomb_like_compression_ratio_is_rejected_from_the_headers(
    tmp_path: Path, conn: sqlite3.Connection, site_key: SiteKey, trusted: Trusted
) -> None:
    seed(tmp_path, conn, site_key, trusted)
    # 4 MiB of spaces deflate to a few KiB: far beyond 200:1.
    bomb = b" " * (4 * 1024 * 1024)
    pkg = write_package(
        tmp_path / "2.zip",
        site_key,
        2,
        [payment()],
        mutate=lambda m: [m[0], ("records.jsonl", bomb), m[2]],
    )
    assert f"compression ratio over {MAX_RATIO}:1" in reject(conn, pkg, trusted)


def _forge_size(path: Path, member: str, file_size: int) -> None:
    """Rewrite a member's uncompressed size in both headers, as a hostile writer could."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    struct.pack_into("<I", data, info.header_offset + 22, file_size)  # local header
    position = data.find(b"PK\x01\x02")  # central directory entries
    while position != -1:
        name_length = struct.unpack_from("<H", data, position + 28)[0]
        if data[position + 46 : position + 46 + name_length] == member.encode():
            struct.pack_into("<I", data, position + 24, file_size)
        position = data.find(b"PK\x01\x02", position + 4)
    path.write_bytes(bytes(data))


def test_headers_that_understate_the_size_are_caught_while_streaming(
    tmp_path: Path, conn: sqlite3.Connection, site_key: SiteKey, trusted: Trusted
) -> None:
    seed(tmp_path, conn, site_key, trusted)
    # The real ratio of this member is far over 200:1 ...
    body = b" " * 400_000 + b"\n"
    pkg = write_package(tmp_path / "2.zip", site_key, 2, [body])
    with zipfile.ZipFile(pkg) as archive:
        compressed = archive.getinfo("records.jsonl").compress_size
    # ... but the forged headers claim 10:1, so only the streaming checks can notice.
    _forge_size(pkg, "records.jsonl", compressed * 10)
    with zipfile.ZipFile(pkg) as archive:
        assert archive.getinfo("records.jsonl").file_size == compressed * 10
    assert "records.jsonl" in reject(conn, pkg, trusted)


def test_stream_guard_stops_at_the_ratio_limit() -> None:
    from billingsim.package import PackageError, _GuardedStream

    class Endless:
        def read(self, size: int) -> bytes:
            return b"\0" * size

    info = zipfile.ZipInfo("records.jsonl")
    info.compress_size, info.file_size = 1000, 10**9
    guard = _GuardedStream(Endless(), info, 512 * 1024 * 1024)  # type: ignore[arg-type]
    with pytest.raises(PackageError, match="ratio over 200:1"):
        while True:
            guard.read(64 * 1024)
    assert guard.count <= 200 * 1000 + 64 * 1024


def test_stream_guard_stops_at_the_member_size_limit() -> None:
    from billingsim.package import PackageError, _GuardedStream

    class Endless:
        def read(self, size: int) -> bytes:
            return b"\0" * size

    info = zipfile.ZipInfo("records.jsonl")
    info.compress_size, info.file_size = 10**9, 10**10
    guard = _GuardedStream(Endless(), info, 1024 * 1024)  # type: ignore[arg-type]
    with pytest.raises(PackageError, match="more than 1048576 bytes"):
        while True:
            guard.read(64 * 1024)


def test_archive_with_thousands_of_members_is_rejected_before_loading_them(
    tmp_path: Path, conn: sqlite3.Connection, trusted: Trusted
) -> None:
    pkg = build_zip(tmp_path / "many.zip", [(f"m{n}", b"") for n in range(5000)])
    assert "5000 members" in reject(conn, pkg, trusted)

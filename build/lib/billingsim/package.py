"""The package file: a ZIP with exactly manifest.json, records.jsonl and signature.

Reading enforces the contract's limits twice: once on the central-directory
headers (cheap, before any inflating) and again while streaming, because
headers can lie and a deflate bomb only shows itself when inflated.
"""

from __future__ import annotations

import json
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

MANIFEST = "manifest.json"
RECORDS = "records.jsonl"
SIGNATURE = "signature"
MEMBERS = (MANIFEST, RECORDS, SIGNATURE)

MAX_MEMBER_BYTES = 512 * 1024 * 1024
# More entries than this cannot be a valid package; refusing them before
# zipfile loads the central directory keeps a million-entry archive cheap.
MAX_ENTRIES = 64
MAX_RATIO = 200
# Manifest and signature are read whole, so they get a far tighter cap.
MAX_SMALL_MEMBER_BYTES = 1024 * 1024
# One record is a few hundred bytes; the cap only stops a newline-free bomb
# from being buffered as a single "line".
MAX_LINE_BYTES = 16 * 1024 * 1024
_CHUNK = 64 * 1024


class PackageError(Exception):
    """The package file breaks the contract; the message says how."""


class _GuardedStream:
    """Counts inflated bytes and stops at the size and ratio limits."""

    def __init__(self, raw: IO[bytes], info: zipfile.ZipInfo, limit: int) -> None:
        self._raw = raw
        self._info = info
        self._limit = limit
        self.count = 0

    def read(self, size: int) -> bytes:
        try:
            data = self._raw.read(size)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise PackageError(f"{self._info.filename}: corrupt ZIP data: {exc}") from None
        self.count += len(data)
        name = self._info.filename
        if self.count > self._limit:
            raise PackageError(f"{name}: more than {self._limit} bytes uncompressed")
        if self.count > self._info.file_size:
            raise PackageError(f"{name}: inflates past the size its header declares")
        if self.count > MAX_RATIO * self._info.compress_size:
            raise PackageError(f"{name}: compression ratio over {MAX_RATIO}:1")
        return data


def _entry_count(path: Path) -> int | None:
    """Entry count from the end-of-central-directory record, or None if unreadable."""
    try:
        with path.open("rb") as handle:
            # Private but long-stable zipfile helpers; zipfile itself reports any damage.
            end = zipfile._EndRecData(handle)  # type: ignore[attr-defined]
    except (OSError, AttributeError):
        return None
    return None if end is None else int(end[zipfile._ECD_ENTRIES_TOTAL])  # type: ignore[attr-defined]


class PackageReader:
    """Opens a package and checks members and header limits up front."""

    def __init__(self, path: Path) -> None:
        entries = _entry_count(path)
        if entries is not None and entries > MAX_ENTRIES:
            raise PackageError(f"{entries} members; a package has exactly {len(MEMBERS)}")
        try:
            self._zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise PackageError(f"not a readable ZIP archive: {exc}") from None
        try:
            self._infos = self._check_members(self._zip.infolist())
        except PackageError:
            self._zip.close()
            raise

    @staticmethod
    def _check_members(infos: list[zipfile.ZipInfo]) -> dict[str, zipfile.ZipInfo]:
        names = [info.filename for info in infos]
        duplicates = sorted(n for n, seen in Counter(names).items() if seen > 1)
        if duplicates:
            raise PackageError(f"duplicate member(s): {', '.join(duplicates)}")
        extra = sorted(set(names) - set(MEMBERS))
        if extra:
            raise PackageError(f"unexpected member(s): {', '.join(extra)}")
        missing = [n for n in MEMBERS if n not in names]
        if missing:
            raise PackageError(f"missing member(s): {', '.join(missing)}")
        by_name = {info.filename: info for info in infos}
        for info in infos:
            if info.flag_bits & 0x1:
                raise PackageError(f"{info.filename}: encrypted members are not allowed")
            if info.compress_type not in (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED):
                raise PackageError(f"{info.filename}: compression must be deflate")
            if info.file_size > MAX_MEMBER_BYTES:
                raise PackageError(f"{info.filename}: over 512 MiB uncompressed")
            if info.file_size > MAX_RATIO * info.compress_size:
                raise PackageError(f"{info.filename}: compression ratio over {MAX_RATIO}:1")
        return by_name

    def __enter__(self) -> PackageReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()

    def _open(self, name: str, limit: int) -> tuple[IO[bytes], _GuardedStream]:
        info = self._infos[name]
        try:
            raw = self._zip.open(info)
        except (zipfile.BadZipFile, NotImplementedError, OSError) as exc:
            raise PackageError(f"{name}: cannot open member: {exc}") from None
        return raw, _GuardedStream(raw, info, limit)

    def read_small(self, name: str) -> bytes:
        """Read manifest.json or signature whole (they are tiny by nature)."""
        raw, stream = self._open(name, MAX_SMALL_MEMBER_BYTES)
        with raw:
            parts = []
            while chunk := stream.read(_CHUNK):
                parts.append(chunk)
        return b"".join(parts)

    def iter_chunks(self, name: str) -> Iterator[bytes]:
        raw, stream = self._open(name, MAX_MEMBER_BYTES)
        with raw:
            while chunk := stream.read(_CHUNK):
                yield chunk

    def iter_lines(self, name: str, digest: Any = None) -> Iterator[tuple[bytes, bool]]:
        """Yield (line without its '\\n', whether it was '\\n'-terminated), streaming.

        `digest` (a hashlib object), when given, is fed every byte read.
        """
        pending = b""
        for chunk in self.iter_chunks(name):
            if digest is not None:
                digest.update(chunk)
            pending += chunk
            start = 0
            while (end := pending.find(b"\n", start)) != -1:
                yield pending[start:end], True
                start = end + 1
            pending = pending[start:]
            if len(pending) > MAX_LINE_BYTES:
                raise PackageError(f"{name}: a line is longer than {MAX_LINE_BYTES} bytes")
        if pending:
            yield pending, False


def dump_manifest(manifest: dict[str, Any]) -> bytes:
    return (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def dump_record(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def write_package(
    path: Path,
    manifest_bytes: bytes,
    records_path: Path,
    signature_bytes: bytes,
    date_time: tuple[int, int, int, int, int, int],
) -> None:
    """Write the ZIP; records.jsonl is copied from a file so it is never held in memory."""

    def info(name: str, size: int) -> zipfile.ZipInfo:
        # Fixed timestamps and attributes make the archive a pure function of its content.
        zinfo = zipfile.ZipInfo(name, date_time=date_time)
        zinfo.compress_type = zipfile.ZIP_DEFLATED
        zinfo.external_attr = 0o644 << 16
        zinfo.file_size = size
        return zinfo

    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(info(MANIFEST, len(manifest_bytes)), manifest_bytes)
        size = records_path.stat().st_size
        with records_path.open("rb") as src, archive.open(info(RECORDS, size), "w") as dst:
            while chunk := src.read(_CHUNK):
                dst.write(chunk)
        archive.writestr(info(SIGNATURE, len(signature_bytes)), signature_bytes)

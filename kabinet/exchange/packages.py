"""Reading and writing exchange packages (specs/billing-exchange.md, format 1).

Nothing here touches the database: a package is verified (members, limits, signature,
manifest) before any other byte of it is trusted, and records.jsonl is streamed line by
line so that memory stays flat whatever the package size.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from kabinet.lib.signing import KeyRing, Signer

FORMAT = 1
SITE_TO_BILLING = "site-to-billing"
BILLING_TO_SITE = "billing-to-site"
SENDERS = {SITE_TO_BILLING: "site", BILLING_TO_SITE: "billing"}

MANIFEST = "manifest.json"
RECORDS = "records.jsonl"
SIGNATURE = "signature"
MEMBERS = frozenset({MANIFEST, RECORDS, SIGNATURE})

MAX_MEMBER_SIZE = 512 * 1024 * 1024
MAX_RATIO = 200
# The manifest and the signature are a few hundred bytes; anything far bigger is not ours.
MAX_SMALL_MEMBER = 64 * 1024
CHUNK = 64 * 1024
# One record (a document with its PDF) fits in far less; a longer line is an attack.
MAX_LINE = 64 * 1024 * 1024

_SIGNATURE_RE = re.compile(r"ed25519:([0-9a-f]{16}):([A-Za-z0-9+/]+={0,2})")
_SHA256_RE = re.compile(r"[0-9a-f]{64}")


class PackageError(Exception):
    """The package is not a valid, trusted package; ``reason`` says why (English, for logs)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SignatureError(PackageError):
    """The package's signature is missing, malformed, by an unknown key or does not verify."""


@dataclass(frozen=True)
class Manifest:
    format: int
    direction: str
    sender: str
    sequence: int
    created_at: str
    ack_through: int
    record_count: int
    records_sha256: str
    raw: bytes


def dump_manifest(manifest: dict[str, Any]) -> bytes:
    return json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"


def dump_record(record: dict[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def utc_stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- writing -------------------------------------------------------------------------------


def write_package(
    out: IO[bytes],
    *,
    direction: str,
    sequence: int,
    ack_through: int,
    created_at: dt.datetime,
    records: Iterable[dict[str, Any]],
    signer: Signer,
) -> Manifest:
    """Write a signed package to ``out`` (a seekable binary file), streaming the records."""
    digest = hashlib.sha256()
    count = 0
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open(_info(RECORDS), "w", force_zip64=True) as member:
            for record in records:
                line = dump_record(record)
                digest.update(line)
                member.write(line)
                count += 1
        values: dict[str, Any] = {
            "format": FORMAT,
            "direction": direction,
            "sender": SENDERS[direction],
            "sequence": sequence,
            "created_at": utc_stamp(created_at),
            "ack_through": ack_through,
            "record_count": count,
            "records_sha256": digest.hexdigest(),
        }
        raw = dump_manifest(values)
        archive.writestr(_info(MANIFEST), raw)
        signature = f"ed25519:{signer.key_id}:{signer.sign(raw)}"
        archive.writestr(_info(SIGNATURE), signature.encode("ascii"))
    return Manifest(raw=raw, **values)


def _info(name: str) -> zipfile.ZipInfo:
    # A fixed timestamp: the bytes depend only on the content.
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


# --- reading -------------------------------------------------------------------------------


class _Guarded:
    """A member's stream that stops at the size and ratio limits, whatever the headers said."""

    def __init__(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> None:
        self._stream = archive.open(info)
        self._info = info
        self._limit = min(limit, info.file_size)
        self.read_bytes = 0

    def read(self, size: int = CHUNK) -> bytes:
        data = self._stream.read(size)
        self.read_bytes += len(data)
        if self.read_bytes > self._limit:
            raise PackageError(f"{self._info.filename} is larger than its header or the limit")
        if self.read_bytes > MAX_RATIO * max(self._info.compress_size, 1):
            raise PackageError(f"{self._info.filename} compresses more than {MAX_RATIO}:1")
        return data

    def close(self) -> None:
        self._stream.close()


class PackageReader:
    """Open a package and verify everything that can be verified without the records."""

    def __init__(self, file: IO[bytes], *, keyring: KeyRing, direction: str) -> None:
        try:
            self._archive = zipfile.ZipFile(file)
            infos = self._archive.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
            raise PackageError(f"not a ZIP archive ({exc})") from exc
        self._members = self._check_members(infos)
        try:
            signature = self._read_small(SIGNATURE)
            raw = self._read_small(MANIFEST)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise PackageError(f"damaged ZIP member ({exc})") from exc
        self.key_id = _verify_signature(signature, raw, keyring)
        self.manifest = _parse_manifest(raw, direction)

    def __enter__(self) -> PackageReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._archive.close()

    @staticmethod
    def _check_members(infos: list[zipfile.ZipInfo]) -> dict[str, zipfile.ZipInfo]:
        members: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            if info.filename not in MEMBERS:
                raise PackageError(f"unexpected member {info.filename!r}")
            if info.filename in members:
                raise PackageError(f"duplicate member {info.filename!r}")
            if info.flag_bits & 0x1:
                raise PackageError(f"encrypted member {info.filename!r}")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise PackageError(f"member {info.filename!r} is not deflated")
            if info.file_size > MAX_MEMBER_SIZE:
                raise PackageError(f"member {info.filename!r} is over 512 MiB uncompressed")
            if info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise PackageError(
                    f"member {info.filename!r} has a compression ratio over {MAX_RATIO}:1"
                )
            members[info.filename] = info
        missing = sorted(MEMBERS - members.keys())
        if missing:
            raise PackageError(f"missing member {missing[0]!r}")
        return members

    def _read_small(self, name: str) -> bytes:
        stream = _Guarded(self._archive, self._members[name], MAX_SMALL_MEMBER)
        try:
            parts = []
            while chunk := stream.read():
                parts.append(chunk)
        finally:
            stream.close()
        if stream.read_bytes > MAX_SMALL_MEMBER:  # pragma: no cover - _Guarded raises first
            raise PackageError(f"{name} is too large")
        return b"".join(parts)

    def iter_lines(self) -> Iterator[tuple[int, bytes]]:
        """(line number, bytes without the final newline); a last line without one is kept."""
        stream = _Guarded(self._archive, self._members[RECORDS], MAX_MEMBER_SIZE)
        try:
            pending = b""
            number = 0
            while True:
                try:
                    chunk = stream.read()
                except (zipfile.BadZipFile, OSError, EOFError) as exc:
                    raise PackageError(f"damaged records.jsonl ({exc})") from exc
                if not chunk:
                    break
                pending += chunk
                *lines, pending = pending.split(b"\n")
                if len(pending) > MAX_LINE:
                    raise PackageError(f"line {number + len(lines) + 1} is over 64 MiB")
                for line in lines:
                    number += 1
                    yield number, line + b"\n"
            if pending:
                yield number + 1, pending
        finally:
            stream.close()


def _verify_signature(signature: bytes, raw: bytes, keyring: KeyRing) -> str:
    try:
        text = signature.decode("ascii").strip()
    except UnicodeDecodeError as exc:
        raise SignatureError("signature is not ASCII") from exc
    match = _SIGNATURE_RE.fullmatch(text)
    if match is None:
        raise SignatureError("signature is not of the form ed25519:<key_id>:<base64>")
    kid, b64 = match.groups()
    if kid not in keyring:
        raise SignatureError(f"signature by unknown key {kid}")
    if not keyring.verify(kid, b64, raw):
        raise SignatureError(f"bad signature (key {kid})")
    return kid


def _parse_manifest(raw: bytes, direction: str) -> Manifest:
    try:
        values = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PackageError("manifest.json is not UTF-8 JSON") from exc
    if not isinstance(values, dict):
        raise PackageError("manifest.json is not a JSON object")

    def integer(name: str, minimum: int) -> int:
        value = values.get(name)
        if type(value) is not int or value < minimum:
            raise PackageError(f"manifest {name} must be an integer ≥ {minimum}")
        return value

    if values.get("format") != FORMAT or type(values.get("format")) is not int:
        raise PackageError(f"unsupported format {values.get('format')!r}")
    if values.get("direction") != direction:
        raise PackageError(f"wrong direction {values.get('direction')!r}, expected {direction!r}")
    if values.get("sender") != SENDERS[direction]:
        raise PackageError(f"wrong sender {values.get('sender')!r}")
    created_at = values.get("created_at")
    if not isinstance(created_at, str) or parse_utc(created_at) is None:
        raise PackageError("manifest created_at is not an RFC 3339 time")
    sha = values.get("records_sha256")
    if not isinstance(sha, str) or not _SHA256_RE.fullmatch(sha):
        raise PackageError("manifest records_sha256 is not a hex SHA-256")
    return Manifest(
        format=FORMAT,
        direction=direction,
        sender=SENDERS[direction],
        sequence=integer("sequence", 1),
        created_at=created_at,
        ack_through=integer("ack_through", 0),
        record_count=integer("record_count", 0),
        records_sha256=sha,
        raw=raw,
    )


_RFC3339_RE = re.compile(r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d{1,9})?([Zz]|[+-]\d\d:\d\d)")


@functools.lru_cache(maxsize=4096)
def parse_utc(value: str) -> dt.datetime | None:
    """An RFC 3339 time with an offset, as an aware UTC datetime; None if it is not one.

    Cached: a package repeats its times (every record's ``at``, a snapshot's ``as_of``).
    """
    if not _RFC3339_RE.fullmatch(value):
        return None
    if len(value) == 20:
        # Whole seconds with "Z", the usual form: nothing to rewrite.
        try:
            return dt.datetime.fromisoformat(value[:19]).replace(tzinfo=dt.UTC)
        except ValueError:
            return None
    text = value.upper().replace("Z", "+00:00")
    head, _sep, rest = text.partition(".")
    if rest:  # Python takes at most 6 fractional digits.
        digits = re.match(r"\d+", rest)
        assert digits is not None
        text = f"{head}.{digits.group()[:6]:0<6}{rest[digits.end() :]}"
    try:
        return dt.datetime.fromisoformat(text).astimezone(dt.UTC)
    except ValueError:
        return None

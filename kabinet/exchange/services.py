"""Exporting and importing exchange packages (specs/billing-exchange.md, website side)."""

from __future__ import annotations

import hashlib
import logging
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from kabinet.accounts.models import Client, User
from kabinet.audit.services import audit_record
from kabinet.core.security import security_event
from kabinet.lib.bulk import bulk_write
from kabinet.lib.signing import KeyRing, Signer, load_private_key
from kabinet.subscriptions.models import Subscription

from .models import (
    Direction,
    ExchangePackage,
    ImportedRecord,
    OutboxRecord,
    PackageStatus,
)
from .packages import (
    BILLING_TO_SITE,
    SITE_TO_BILLING,
    Manifest,
    PackageError,
    PackageReader,
    SignatureError,
    parse_utc,
    write_package,
)
from .records import Record, RecordError, parse_record
from .registry import ApplyContext, Known, RecordRejected, ScanContext, inbound_type

logger = logging.getLogger(__name__)

BATCH = 1000
MAX_REPORTED_ERRORS = 100


class Outcome:
    IMPORTED = "imported"
    ALREADY = "already imported"
    REJECTED = "rejected"


@dataclass
class ImportResult:
    outcome: str
    report: str
    package: ExchangePackage | None = None
    sequence: int | None = None

    @property
    def ok(self) -> bool:
        return self.outcome != Outcome.REJECTED


def _actor_repr(actor: User | None) -> str:
    return actor.email if actor is not None else "system"


def last_imported_sequence() -> int:
    value = ExchangePackage.objects.filter(
        direction=Direction.BILLING_TO_SITE, status=PackageStatus.IMPORTED
    ).aggregate(m=Max("sequence"))["m"]
    return int(value or 0)


def last_exported_sequence() -> int:
    value = ExchangePackage.objects.filter(direction=Direction.SITE_TO_BILLING).aggregate(
        m=Max("sequence")
    )["m"]
    return int(value or 0)


# --- export --------------------------------------------------------------------------------


def exchange_export(*, actor: User | None) -> ExchangePackage:
    """Write every website→billing record not exported yet into the next package."""
    signer = Signer(load_private_key(settings.KABINET_SITE_PRIVATE_KEY))
    with transaction.atomic():
        sequence = last_exported_sequence() + 1
        ack_through = last_imported_sequence()
        # Claim the pending rows first, then stream exactly those: a record committed by
        # another transaction meanwhile waits for the next package instead of being lost.
        OutboxRecord.objects.filter(package_sequence__isnull=True).update(package_sequence=sequence)
        records = (
            record.as_line()
            for record in OutboxRecord.objects.filter(package_sequence=sequence)
            .order_by("id")
            .iterator(chunk_size=2000)
        )
        now = timezone.now()
        with tempfile.TemporaryFile() as tmp:
            manifest = write_package(
                tmp,
                direction=SITE_TO_BILLING,
                sequence=sequence,
                ack_through=ack_through,
                created_at=now,
                records=records,
                signer=signer,
            )
            digest, size = _sha256(tmp)
            name = f"site-to-billing-{sequence:06d}.zip"
            package = ExchangePackage(
                direction=Direction.SITE_TO_BILLING,
                sequence=sequence,
                status=PackageStatus.EXPORTED,
                file_name=name,
                sha256=digest,
                size=size,
                record_count=manifest.record_count,
                applied_count=manifest.record_count,
                ack_through=ack_through,
                manifest_created_at=now.replace(microsecond=0),
                actor=actor,
                actor_repr=_actor_repr(actor),
                created_at=now,
            )
            tmp.seek(0)
            package.file.save(name, File(tmp, name=name), save=False)
        package.save()
        audit_record(
            actor=actor,
            action="exchange.export",
            obj=package,
            after={"sequence": sequence, "records": manifest.record_count, "ack": ack_through},
        )
    logger.info("exchange: exported package %s with %s records", sequence, package.record_count)
    return package


def _sha256(file: IO[bytes]) -> tuple[str, int]:
    file.seek(0)
    digest = hashlib.sha256()
    size = 0
    while chunk := file.read(1024 * 1024):
        digest.update(chunk)
        size += len(chunk)
    file.seek(0)
    return digest.hexdigest(), size


# --- import --------------------------------------------------------------------------------


def _load_known() -> Known:
    return Known(
        clients=dict(Client.objects.values_list("contract_number", "pk")),
        subscriptions={
            (contract, str(pk)): pk
            for pk, contract in Subscription.objects.values_list("pk", "client__contract_number")
        },
    )


def _problem(ctx: ScanContext, record: Record) -> str | None:
    contract = record.data["contract"]
    if contract not in ctx.known.clients:
        return f"unknown contract {contract!r}"
    check = inbound_type(record.type).check
    return check(ctx, record) if check is not None else None


@dataclass
class _Scan:
    count: int = 0
    sha256: str = ""
    errors: list[str] = field(default_factory=list)
    error_count: int = 0

    def error(self, line: int, reason: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(f"line {line}: {reason}")


def _checked_batches(
    reader: PackageReader, known: Known, scan: _Scan
) -> Iterator[list[tuple[int, Record]]]:
    """The package's valid records in batches, read once: each line is counted, hashed,
    parsed and checked; a wrong line goes into ``scan``'s errors instead of a batch (the
    count and the hash are in ``scan`` once the last batch has been taken)."""
    ctx = ScanContext(known=known)
    digest = hashlib.sha256()
    batch: list[tuple[int, Record]] = []
    for number, line in reader.iter_lines():
        digest.update(line)
        scan.count = number
        try:
            record = parse_record(line)
        except RecordError as exc:
            scan.error(number, str(exc))
            continue
        problem = _problem(ctx, record)
        if problem:
            scan.error(number, problem)
            continue
        batch.append((number, record))
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch
    scan.sha256 = digest.hexdigest()


def _count_and_hash(reader: PackageReader) -> _Scan:
    """The lines' count and hash only: all a package that will not be applied needs."""
    scan = _Scan()
    digest = hashlib.sha256()
    for number, line in reader.iter_lines():
        digest.update(line)
        scan.count = number
    scan.sha256 = digest.hexdigest()
    return scan


def exchange_import(
    *,
    actor: User | None,
    file: IO[bytes],
    file_name: str = "",
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Verify, validate and apply one billing→website package, all or nothing.

    The package's lines are read once. When its sequence is the next one, they are applied
    batch by batch as they are validated, in one transaction; a wrong line, a wrong count or
    hash found on the way rolls all of it back and rejects the package with the same report
    as a package found wrong before anything was applied.
    """
    digest, size = _sha256(file)
    meta = {"file_name": file_name[:200], "sha256": digest, "size": size}
    keyring = KeyRing.from_files(list(settings.KABINET_BILLING_PUBLIC_KEYS))
    if not len(keyring):
        return _reject(actor, meta, None, "no trusted billing key is configured")
    try:
        with PackageReader(file, keyring=keyring, direction=BILLING_TO_SITE) as reader:
            manifest = reader.manifest
            known = _load_known()
            turn = _out_of_turn(manifest)
            if turn is None:
                return _apply(actor, meta, manifest, reader, known, progress)
            # Not applied whatever its lines: only their count and hash are checked first.
            return _answer(
                actor, meta, manifest, _damaged(manifest, _count_and_hash(reader)) or turn
            )
    except PackageError as exc:
        if isinstance(exc, SignatureError):
            security_event(
                "exchange_signature_failed",
                None,
                user=actor.pk if actor else "-",
                file=file_name[:200] or "-",
                sha256=digest[:16],
                check=exc.reason,
            )
        return _reject(actor, meta, None, exc.reason)


@dataclass(frozen=True)
class _Verdict:
    """Why a package is not applied: ``already`` imported (nothing changes, success), or
    rejected with ``reason``."""

    reason: str
    already: bool = False


def _out_of_turn(manifest: Manifest) -> _Verdict | None:
    """Whether the manifest's sequence and acknowledgement keep the package from applying."""
    last = last_imported_sequence()
    if manifest.sequence <= last:
        return _Verdict(
            f"package {manifest.sequence} was already imported; nothing changed", already=True
        )
    if manifest.sequence != last + 1:
        missing = (
            str(last + 1)
            if manifest.sequence == last + 2
            else f"{last + 1}–{manifest.sequence - 1}"
        )
        return _Verdict(
            f"sequence {manifest.sequence} does not follow {last}: package {missing} is missing"
        )
    exported = last_exported_sequence()
    if manifest.ack_through > exported:
        return _Verdict(
            f"ack_through {manifest.ack_through} acknowledges website packages that were "
            f"never exported (last exported: {exported})"
        )
    return None


def _damaged(manifest: Manifest, scan: _Scan) -> _Verdict | None:
    """Whether the lines are not the ones the manifest signed: their count, their hash
    (reported before anything else)."""
    if scan.count != manifest.record_count:
        return _Verdict(
            f"record_count is {manifest.record_count} but records.jsonl has {scan.count} lines"
        )
    if scan.sha256 != manifest.records_sha256:
        return _Verdict("records_sha256 does not match records.jsonl")
    return None


def _wrong_lines(scan: _Scan) -> _Verdict | None:
    """The lines that are wrong (the first hundred, and how many more)."""
    if not scan.error_count:
        return None
    lines = list(scan.errors)
    if scan.error_count > len(lines):
        lines.append(f"… and {scan.error_count - len(lines)} more")
    return _Verdict("\n".join(lines))


def _answer(
    actor: User | None, meta: dict[str, Any], manifest: Manifest, verdict: _Verdict
) -> ImportResult:
    if verdict.already:
        return ImportResult(Outcome.ALREADY, verdict.reason, sequence=manifest.sequence)
    return _reject(actor, meta, manifest, verdict.reason)


class _Rollback(Exception):
    """Raised in the import's transaction to undo everything it wrote: the package is
    rejected with ``reason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _reject(
    actor: User | None, meta: dict[str, Any], manifest: Manifest | None, reason: str
) -> ImportResult:
    """Record the rejected upload with its report; nothing else changes."""
    logger.warning("exchange: package %s rejected: %s", meta["file_name"], reason)
    package = ExchangePackage.objects.create(
        direction=Direction.BILLING_TO_SITE,
        sequence=manifest.sequence if manifest else None,
        status=PackageStatus.REJECTED,
        record_count=manifest.record_count if manifest else 0,
        ack_through=manifest.ack_through if manifest else 0,
        manifest_created_at=parse_utc(manifest.created_at) if manifest else None,
        report=reason,
        actor=actor,
        actor_repr=_actor_repr(actor),
        **meta,
    )
    return ImportResult(Outcome.REJECTED, reason, package, manifest.sequence if manifest else None)


class _Applier:
    def __init__(self, package: ExchangePackage, known: Known) -> None:
        self.ctx = ApplyContext(package=package, known=known)
        self.applied = 0
        self.skipped = 0
        self.types: set[str] = set()

    @property
    def notes(self) -> list[str]:
        return self.ctx.notes

    def _claim(self, ids: list[uuid.UUID]) -> set[uuid.UUID]:
        """Store the record ids not seen before (in an earlier batch or package); those ids."""
        package_id = self.ctx.package.pk
        if connection.vendor == "postgresql":
            # One statement: the ids stored before, or twice in this batch, are left out.
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {ImportedRecord._meta.db_table} (record_id, package_id) "
                    "SELECT unnest(%s::uuid[]), %s ON CONFLICT (record_id) DO NOTHING "
                    "RETURNING record_id",
                    [ids, package_id],
                )
                return {row[0] for row in cursor.fetchall()}
        seen = set(
            ImportedRecord.objects.filter(record_id__in=ids).values_list("record_id", flat=True)
        )
        new = {record_id for record_id in ids if record_id not in seen}
        bulk_write(ImportedRecord, ["record_id", "package_id"], ((i, package_id) for i in new))
        return new

    def batch(self, batch: list[tuple[int, Record]]) -> None:
        # A staged type claims its own records' ids at the end of the package.
        staged = [(n, r) for n, r in batch if inbound_type(r.type).staged]
        claimed = [r.id for _n, r in batch if not inbound_type(r.type).staged]
        new = self._claim(claimed) if claimed else set()
        fresh: list[tuple[int, Record]] = []
        for number, record in batch:
            if inbound_type(record.type).staged:
                continue
            if record.id not in new:
                self.skipped += 1
                continue
            # The first of the same id twice in the batch applies; the second is skipped.
            new.discard(record.id)
            fresh.append((number, record))
        for run in _runs(fresh + staged):
            name = run[0][1].type
            inbound_type(name).apply(self.ctx, run)
            self.types.add(name)
        self.applied += len(fresh) + len(staged)

    def close(self) -> None:
        """The import is ending, applied or not: the types that work in the background stop."""
        for name in sorted(self.types):
            close = inbound_type(name).close
            if close is not None:
                close(self.ctx)

    def finish(self) -> None:
        """What the applied types set aside for the end of the package."""
        for name in sorted(self.types):
            finish = inbound_type(name).finish
            if finish is not None:
                seen = finish(self.ctx)
                self.applied -= seen
                self.skipped += seen


def _runs(fresh: list[tuple[int, Record]]) -> list[list[tuple[int, Record]]]:
    """The batch's records as runs to apply, in the package's order.

    Consecutive records of one type make a run. The records of a type that may go in any
    order (it writes only its own rows) make one run per batch, at its first record, however
    the package interleaves them with other types: a few statements per batch, not per run.
    """
    runs: list[list[tuple[int, Record]]] = []
    together: dict[str, list[tuple[int, Record]]] = {}
    for item in fresh:
        name = item[1].type
        if inbound_type(name).any_order:
            if name not in together:
                together[name] = []
                runs.append(together[name])
            together[name].append(item)
        elif runs and runs[-1][-1][1].type == name:
            runs[-1].append(item)
        else:
            runs.append([item])
    return runs


def _apply(
    actor: User | None,
    meta: dict[str, Any],
    manifest: Manifest,
    reader: PackageReader,
    known: Known,
    progress: Callable[[int], None] | None,
) -> ImportResult:
    try:
        with transaction.atomic():
            package = ExchangePackage.objects.create(
                direction=Direction.BILLING_TO_SITE,
                sequence=manifest.sequence,
                status=PackageStatus.IMPORTED,
                record_count=manifest.record_count,
                ack_through=manifest.ack_through,
                manifest_created_at=parse_utc(manifest.created_at),
                actor=actor,
                actor_repr=_actor_repr(actor),
                **meta,
            )
            applier = _Applier(package, known)
            try:
                scan = _Scan()
                rejected: RecordRejected | None = None
                for batch in _checked_batches(reader, known, scan):
                    if scan.error_count or rejected is not None:
                        # The package will be rejected: the rest is only read for the report.
                        continue
                    try:
                        applier.batch(batch)
                    except RecordRejected as exc:
                        rejected = exc
                    if progress is not None:
                        progress(scan.count)
                verdict = _damaged(manifest, scan) or _wrong_lines(scan)
                if verdict is not None:
                    raise _Rollback(verdict.reason)
                if rejected is not None:
                    raise _Rollback(str(rejected))
                try:
                    applier.finish()
                except RecordRejected as exc:
                    raise _Rollback(str(exc)) from exc
            finally:
                applier.close()
            confirmed = ExchangePackage.objects.filter(
                direction=Direction.SITE_TO_BILLING,
                status=PackageStatus.EXPORTED,
                sequence__lte=manifest.ack_through,
            ).update(status=PackageStatus.CONFIRMED, confirmed_at=timezone.now())
            lines = [
                f"applied {applier.applied} records, skipped {applier.skipped} seen before",
                f"billing confirmed website packages through {manifest.ack_through} "
                f"({confirmed} newly confirmed)",
                *applier.notes,
            ]
            package.applied_count = applier.applied
            package.skipped_count = applier.skipped
            package.report = "\n".join(lines)
            package.save(update_fields=["applied_count", "skipped_count", "report"])
            audit_record(
                actor=actor,
                action="exchange.import",
                obj=package,
                after={"sequence": manifest.sequence, "applied": applier.applied},
            )
    except _Rollback as exc:
        # The transaction is rolled back: nothing of the package stays.
        return _reject(actor, meta, manifest, exc.reason)
    except IntegrityError:
        # Another import of the same sequence committed first.
        if last_imported_sequence() >= manifest.sequence:
            return ImportResult(
                Outcome.ALREADY,
                f"package {manifest.sequence} was already imported; nothing changed",
                sequence=manifest.sequence,
            )
        raise
    logger.info("exchange: imported package %s", manifest.sequence)
    return ImportResult(Outcome.IMPORTED, package.report, package, manifest.sequence)

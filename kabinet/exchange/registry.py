"""The record types that cross to and from billing, contributed by the apps that own them.

An app that owns a kind of data registers its record types from its ``AppConfig.ready()``:

* a billing→website type with :func:`register_inbound` — its fields (checked line by line),
  an optional ``check`` that may look at the database or at the records seen earlier in the
  same package, and an ``apply`` that writes a run of consecutive fresh records of that type
  inside the import's transaction (or, for a type registered ``any_order``, all of the
  batch's records of it). The package is read once: each line is checked before it is
  applied, but after the batches before it, so a ``check`` that reads the database reads
  each thing once per package, at its first line, and remembers it in ``ScanContext``
  state (what the database held before the package); a wrong line anywhere rolls back
  everything applied before it;
* a website→billing type with :func:`register_outbound`, so ``outbox_record`` accepts it.

The exchange app itself knows only the package format and the order of the work.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .records import SCHEMAS, Record

if TYPE_CHECKING:
    from .models import ExchangePackage


@dataclass
class Known:
    """Contracts and subscriptions the website knows (small next to any package)."""

    clients: dict[str, int]
    subscriptions: dict[tuple[str, str], int]


@dataclass
class ScanContext:
    """What the validating pass knows: the website's contracts, and scratch state per type.

    ``state`` lets a type remember what it saw earlier in the same package (a duplicate id,
    a number assigned twice) without keeping the package in memory beyond what it needs.
    """

    known: Known
    state: dict[str, Any] = field(default_factory=dict)

    def scratch(self, name: str, factory: Callable[[], Any]) -> Any:
        if name not in self.state:
            self.state[name] = factory()
        return self.state[name]


@dataclass
class ApplyContext:
    """What an ``apply`` gets: the package being imported, the known contracts, and notes."""

    package: ExchangePackage
    known: Known
    notes: list[str] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)

    def client_id(self, record: Record) -> int:
        return self.known.clients[record.data["contract"]]

    def note(self, line: int, text: str) -> None:
        """A line that applied without effect, and why (shown in the package's report)."""
        self.notes.append(f"line {line}: {text}")


class RecordRejected(Exception):
    """Raised by an ``apply`` when a line proves wrong only as it is written (a duplicate of a
    row stored earlier, in this package or before): the import rolls back and the package
    is rejected with the line and the reason, like an error of the validating pass."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


Check = Callable[[ScanContext, Record], "str | None"]
Apply = Callable[[ApplyContext, list[tuple[int, Record]]], None]
Finish = Callable[[ApplyContext], int]
Close = Callable[[ApplyContext], None]


@dataclass(frozen=True)
class InboundType:
    name: str
    fields: Mapping[str, Callable[[Any], Any]]
    apply: Apply
    check: Check | None = None
    any_order: bool = False
    finish: Finish | None = None
    staged: bool = False
    close: Close | None = None


_inbound: dict[str, InboundType] = {}
_outbound: set[str] = set()


def register_inbound(
    name: str,
    *,
    fields: Mapping[str, Callable[[Any], Any]],
    apply: Apply,
    check: Check | None = None,
    any_order: bool = False,
    finish: Finish | None = None,
    staged: bool = False,
    close: Close | None = None,
) -> None:
    """Accept billing→website records of type ``name`` (every type must carry ``contract``).

    ``any_order``: its ``apply`` writes only rows of its own that no other type reads or
    writes, so a batch's records of this type may be applied together, before or after the
    other types' records between them (in the package's order among themselves).

    ``finish``: called once after the package's last record, in the import's transaction,
    when records of this type were applied (work an ``apply`` set aside for the end); it
    returns how many of them it found seen before (0 unless ``staged``).

    ``staged``: the type claims its own record ids. Its ``apply`` gets every record of it,
    fresh or seen before, and sets them aside (say, in a table of the transaction); its
    ``finish`` claims their ids as the import would (a record id seen before, in an earlier
    package or earlier in this one, is skipped; of one id twice, the first line applies),
    writes the fresh ones and returns how many it skipped. Such a type writes only its own
    rows, so it is applied in any order. For types whose packages are millions of records:
    the claim and the writes are a few statements over all of them, in index order.

    ``close``: called when the import ends, applied or rejected, still inside its
    transaction, when records of this type were applied: a type that writes in the
    background (on the import's connection, from a thread) waits for it to stop here, so that
    nothing of the import runs after its transaction is committed or rolled back.
    """
    if staged and finish is None:
        raise ValueError(f"staged record type {name!r} needs a finish step")
    if "contract" not in fields:
        raise ValueError(f"record type {name!r} must have a contract field")
    existing = _inbound.get(name)
    if existing is not None and (existing.apply is not apply or existing.fields != fields):
        raise ValueError(f"record type {name!r} is registered twice")
    _inbound[name] = InboundType(
        name=name,
        fields=dict(fields),
        apply=apply,
        check=check,
        any_order=any_order or staged,
        finish=finish,
        staged=staged,
        close=close,
    )
    SCHEMAS[name] = dict(fields)


def inbound_type(name: str) -> InboundType:
    return _inbound[name]


def inbound_types() -> list[str]:
    return sorted(_inbound)


def register_outbound(*names: str) -> None:
    """Accept website→billing records of these types in the outbox."""
    _outbound.update(names)


def is_outbound(name: str) -> bool:
    return name in _outbound


def outbound_types() -> list[str]:
    return sorted(_outbound)

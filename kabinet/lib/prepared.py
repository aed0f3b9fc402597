"""Queries built and compiled by the ORM once per process, then run with new arguments.

Every cabinet page runs the same few queries (the signed-in user with the company, the
unread count, the balance's parts) with a different id. Building a queryset and compiling
it to SQL costs Django more than PostgreSQL spends answering it (about a third of a
cabinet page's profile). A prepared query is written as a normal queryset, is compiled the
first time it runs, and from then on only executes the
same SQL with the new ids::

    @prepared
    def unread(user_id: int) -> QuerySet[Notification]:
        return Notification.objects.filter(user_id=user_id, read_at__isnull=True)[:5]

    unread.models(user_id=7)      # model instances (select_related followed)
    unread.values(user_id=7)      # dicts, for a .values() queryset

Arguments are ints (ids) or strings: each is compiled as a marker value the query cannot
otherwise hold and found again among the compiled parameters; a query whose SQL would not
carry an argument as one plain parameter (``__in`` lists, ``__startswith``, a JSON value)
is refused when it is first compiled. Rows go through the ORM's own converters, so the
results are what the queryset would give, on SQLite as on PostgreSQL. Queries still pass through the
connection's cursor: they are counted, logged and wrapped like any other.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators  # type: ignore[attr-defined]
from django.db.models.sql.compiler import SQLCompiler

M = TypeVar("M", bound=Model)

# Far outside any id the database hands out, and distinct per argument.
_MARKER_BASE = -(2**62)


class PreparedQueryError(TypeError):
    """The queryset cannot be prepared: an argument is not one plain parameter of its SQL."""


@dataclass
class _Compiled:
    queryset: QuerySet[Any]
    compiler: SQLCompiler
    sql: str
    params: list[Any]
    slots: dict[str, list[int]]  # argument name -> its positions among the parameters
    kinds: dict[str, type]  # argument name -> int or str


class Prepared(Generic[M]):
    def __init__(self, build: Callable[..., QuerySet[M, Any]]) -> None:
        self._build = build
        self._compiled: _Compiled | None = None
        self._lock = threading.Lock()
        self.__doc__ = build.__doc__
        self.__name__ = build.__name__

    def _compile(self, kwargs: dict[str, int | str]) -> _Compiled:
        markers: dict[str, int | str] = {
            name: (_MARKER_BASE - i) if type(kwargs[name]) is int else f"\x1f{name}:{i}\x1f"
            for i, name in enumerate(sorted(kwargs))
        }
        queryset = self._build(**markers)
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        params = list(params)
        slots: dict[str, list[int]] = {}
        for name, marker in markers.items():
            found = [i for i, p in enumerate(params) if type(p) is type(marker) and p == marker]
            if not found:
                raise PreparedQueryError(
                    f"{self.__name__}: argument {name!r} is not a plain parameter of its SQL"
                )
            slots[name] = found
        kinds = {name: type(value) for name, value in kwargs.items()}
        return _Compiled(queryset, compiler, sql, params, slots, kinds)

    def _run(self, kwargs: dict[str, int | str]) -> tuple[_Compiled, list[Any]]:
        kinds = {name: type(value) for name, value in kwargs.items()}
        for name, kind in kinds.items():
            if kind is not int and kind is not str:
                raise PreparedQueryError(f"{self.__name__}: {name} must be an int or a str")
        compiled = self._compiled
        if compiled is None or compiled.kinds != kinds:
            with self._lock:
                compiled = self._compiled = self._compile(kwargs)
        params = list(compiled.params)
        for name, positions in compiled.slots.items():
            for i in positions:
                params[i] = kwargs[name]
        with connections[compiled.queryset.db].cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        compiler = compiled.compiler
        if compiler.has_extra_select:  # columns added for DISTINCT's ordering: not returned
            rows = [row[: compiler.col_count] for row in rows]
        return compiled, list(compiler.results_iter(results=[rows]))

    def values(self, **kwargs: int | str) -> list[dict[str, Any]]:
        """The rows of a ``.values()`` queryset, as dicts."""
        compiled, rows = self._run(kwargs)
        query = compiled.queryset.query
        names = (
            list(query.selected)
            if query.selected
            else [
                *query.extra_select,
                *query.values_select,
                *query.annotation_select,
            ]
        )
        return [dict(zip(names, row, strict=True)) for row in rows]

    def models(self, **kwargs: int | str) -> list[M]:
        """The model instances of a model queryset, ``select_related`` and annotations
        included (what ``ModelIterable`` does with the rows)."""
        compiled, rows = self._run(kwargs)
        compiler = compiled.compiler
        db = compiled.queryset.db
        klass_info = compiler.klass_info
        assert klass_info is not None, "models() needs a model queryset"
        model_cls = klass_info["model"]
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        init_list = [f[0].target.attname for f in compiler.select[start:end]]
        populators = get_related_populators(klass_info, compiler.select, db)
        result = []
        for row in rows:
            obj = model_cls.from_db(db, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for attr, position in compiler.annotation_col_map.items():
                setattr(obj, attr, row[position])
            result.append(obj)
        return result


def prepared(build: Callable[..., QuerySet[M, Any]]) -> Prepared[M]:
    """A queryset builder taking int or str arguments, compiled once per process."""
    return Prepared(build)

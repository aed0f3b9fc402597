"""Fast row writer for the generated dataset: COPY on PostgreSQL, bulk_create elsewhere.

Rows are plain tuples in the order of the columns registered for their model, so millions
of them are built without instantiating models. Primary keys that children refer to are
taken from the table's own sequence (``nextval``), so the sequences stay right without a
reset; on SQLite they continue from the table's largest id.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.fields import AutoFieldMixin

ID_BLOCK = 10_000


class _Table:
    def __init__(self, model: type[models.Model], columns: Sequence[str]) -> None:
        self.model = model
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        unknown = [c for c in columns if c not in by_attname]
        if unknown:
            raise ValueError(f"{model.__name__}: unknown columns {unknown}")
        self.columns = list(columns)
        # Every other column gets its field's constant default; a field that needs a value
        # per row (a callable default, auto_now) must be among the columns given.
        self.constant_columns: list[str] = []
        constants: list[Any] = []
        for field in model._meta.concrete_fields:
            if field.attname in self.columns or (field.primary_key and field.auto_created):
                continue
            if isinstance(field, AutoFieldMixin):
                continue
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                raise ValueError(f"{model.__name__}.{field.name} (auto_now) must be given")
            if field.has_default():
                if callable(field.default):
                    raise ValueError(f"{model.__name__}.{field.name} has a callable default")
                value = field.default
            elif field.null:
                value = None
            elif field.empty_strings_allowed and field.blank:
                value = ""
            else:
                raise ValueError(f"{model.__name__}.{field.name} has no default; give it")
            self.constant_columns.append(field.attname)
            constants.append(value)
        self.constants = tuple(constants)
        self.json_positions = [
            i
            for i, name in enumerate(self.columns + self.constant_columns)
            if isinstance(by_attname[name], models.JSONField)
        ]
        self.db_columns = [by_attname[name].column for name in self.columns + self.constant_columns]
        self.rows: list[tuple[Any, ...]] = []
        self.written = 0
        self.seconds = 0.0


class RowWriter:
    def __init__(
        self, connection: BaseDatabaseWrapper, *, use_copy: bool | None, batch_rows: int
    ) -> None:
        self.connection = connection
        is_postgres = connection.vendor == "postgresql"
        self.use_copy = is_postgres if use_copy is None else (use_copy and is_postgres)
        self.is_postgres = is_postgres
        self.batch_rows = batch_rows
        self.tables: dict[type[models.Model], _Table] = {}
        self.order: list[type[models.Model]] = []
        self._ids: dict[type[models.Model], list[int]] = {}
        self._next_id: dict[type[models.Model], int] = {}

    def register(self, model: type[models.Model], columns: Sequence[str]) -> None:
        """Register in parent-before-child order: tables are flushed in this order."""
        self.tables[model] = _Table(model, columns)
        self.order.append(model)

    def add(self, model: type[models.Model], row: tuple[Any, ...]) -> None:
        self.tables[model].rows.append(row)

    def next_id(self, model: type[models.Model]) -> int:
        if self.is_postgres:
            pool = self._ids.setdefault(model, [])
            if not pool:
                table = model._meta.db_table
                with self.connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                        "FROM generate_series(1, %s)",
                        [f'"{table}"', ID_BLOCK],
                    )
                    pool.extend(row[0] for row in reversed(cursor.fetchall()))
            return pool.pop()
        if model not in self._next_id:
            top = model._default_manager.aggregate(m=models.Max("id"))["m"] or 0
            self._next_id[model] = top + 1
        value = self._next_id[model]
        self._next_id[model] = value + 1
        return value

    def flush(self) -> None:
        for model in self.order:
            table = self.tables[model]
            if table.rows:
                started = time.monotonic()
                self._write(table)
                table.seconds += time.monotonic() - started
                table.written += len(table.rows)
                table.rows = []

    def counts(self) -> dict[type[models.Model], int]:
        return {model: self.tables[model].written for model in self.order}

    def seconds(self) -> dict[type[models.Model], float]:
        """Time spent writing each table (generation time is not included)."""
        return {model: self.tables[model].seconds for model in self.order}

    def _write(self, table: _Table) -> None:
        if self.use_copy:
            self._copy(table)
        else:
            self._bulk_create(table)

    def _copy(self, table: _Table) -> None:
        columns = ", ".join(f'"{c}"' for c in table.db_columns)
        sql = f'COPY "{table.model._meta.db_table}" ({columns}) FROM STDIN'
        constants = table.constants
        json_positions = table.json_positions
        with self.connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in table.rows:
                full = row + constants
                if json_positions:
                    values = list(full)
                    for i in json_positions:
                        values[i] = json.dumps(values[i], ensure_ascii=False)
                    full = tuple(values)
                copy.write_row(full)

    def _bulk_create(self, table: _Table) -> None:
        model = table.model
        names = table.columns
        objects = [model(**dict(zip(names, row, strict=True))) for row in table.rows]
        model._default_manager.bulk_create(objects, batch_size=self.batch_rows)

"""Writing many rows in a few statements: COPY on PostgreSQL, Django's bulk_create elsewhere.

Django's ``bulk_create`` builds one parameterised INSERT per thousand rows and a model
instance per row; COPY streams plain tuples, with psycopg escaping every value (tabs,
newlines, backslashes) as COPY needs. An upsert goes through a temporary table: COPY into
it, then one ``INSERT … SELECT … ON CONFLICT DO UPDATE``. The statements per call do not
grow with the number of rows.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connections, models, router, transaction


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or not field.column:
        raise ValueError(f"{model.__name__}.{name} is not a column")
    return _quote(field.column)


def bulk_write(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    unique: Sequence[str] = (),
    update: Sequence[str] = (),
) -> None:
    """Insert ``rows`` (values in the order of ``columns``, field attnames) into ``model``.

    With ``update``, a row whose ``unique`` fields match a stored row updates that row's
    ``update`` fields instead; the rows given must not repeat a ``unique`` key. Other fields
    get the database's defaults (the primary key its sequence). No signals, no ``save()``.
    """
    if update and not unique:
        raise ValueError("an upsert needs the unique fields it conflicts on")
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        objects = [model(**dict(zip(columns, row, strict=True))) for row in rows]
        if update:
            model._default_manager.bulk_create(
                objects, update_conflicts=True, unique_fields=unique, update_fields=update
            )
        else:
            model._default_manager.bulk_create(objects)
        return
    opts = model._meta
    table = _quote(opts.db_table)
    names = ", ".join(_column(model, c) for c in columns)
    if not update:
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    # One scratch table per target and column list, made once per transaction.
    scratch = _quote(f"_bulk_{opts.db_table}_{zlib.crc32(names.encode()):08x}")
    keys = ", ".join(_column(model, c) for c in unique)
    sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in (_column(model, c) for c in update))
    with transaction.atomic(using=connection.alias, savepoint=False), connection.cursor() as cursor:
        cursor.execute(
            # Only quoted identifiers of the model's own table go into these statements.
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {scratch} ON COMMIT DROP AS "  # noqa: S608
            f"SELECT {names} FROM {table} WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY {scratch} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM {scratch} "  # noqa: S608
            f"ON CONFLICT ({keys}) DO UPDATE SET {sets}"
        )
        cursor.execute(f"TRUNCATE {scratch}")


def bulk_existing(model: type[models.Model], field: str, values: Sequence[Any]) -> list[Any]:
    """The ``values`` that some row of ``model`` has in ``field``: one indexed query.

    On PostgreSQL the values go as one array parameter (``= ANY``), not as a thousand
    parameters of an ``IN`` list that each partition of a table plans again.
    """
    connection = connections[router.db_for_read(model)]
    if connection.vendor != "postgresql":
        return list(
            model._default_manager.filter(**{f"{field}__in": values}).values_list(field, flat=True)
        )
    column = _column(model, field)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {_quote(model._meta.db_table)} "  # noqa: S608
            f"WHERE {column} = ANY(%s)",
            [list(values)],
        )
        return [row[0] for row in cursor.fetchall()]

"""PostgreSQL indexes for the manager's client search.

A part of the company name is a ``LIKE '%...%'`` pattern: a trigram (pg_trgm) GIN index
serves it. An INN prefix is ``LIKE '...%'``: it needs the pattern operator class whatever the
database's collation (the contract number's unique index already has one, made by Django).
SQLite has no such index types; it needs nothing here.
"""

from django.db import migrations

INDEXES = [
    "CREATE INDEX IF NOT EXISTS client_name_trgm_idx "
    "ON accounts_client USING gin (name_search gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS client_inn_like_idx "
    "ON accounts_client (inn varchar_pattern_ops)",
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # pg_trgm is a trusted extension: the database owner may create it without superuser.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for sql in INDEXES:
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS client_name_trgm_idx")
    schema_editor.execute("DROP INDEX IF EXISTS client_inn_like_idx")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_twofactor_sessions")]

    operations = [migrations.RunPython(create, drop)]

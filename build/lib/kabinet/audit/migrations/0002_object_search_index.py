"""PostgreSQL: the audit log's "object contains" search is ``UPPER(object_repr) LIKE '%…%'``;
a trigram index on that expression serves it. SQLite has no such index type."""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS audit_object_trgm_idx ON audit_auditentry "
        "USING gin ((UPPER(object_repr::text)) gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS audit_object_trgm_idx")


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]

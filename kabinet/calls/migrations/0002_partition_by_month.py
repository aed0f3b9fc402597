"""On PostgreSQL the calls table is partitioned by month (DESIGN.md, December 2026).

Django's state is 0001's model; only the storage differs. The table is empty here, so it is
re-created as a partitioned table: the primary key includes the partition key
(id, started_at), and ``call_id`` is unique together with ``started_at`` (a unique
constraint must include the partition key); the import checks ``call_id`` alone. Partitions
are made by ``calls_partitions`` (a periodic job) and by the import for a month it meets.
SQLite keeps 0001's plain table.
"""

from django.db import migrations

CREATE = """
DROP TABLE calls_call;
CREATE TABLE calls_call (
    id bigserial NOT NULL,
    client_id bigint NOT NULL
        REFERENCES accounts_client (id) DEFERRABLE INITIALLY DEFERRED,
    call_id varchar(100) NOT NULL,
    started_at timestamp with time zone NOT NULL,
    direction varchar(3) NOT NULL,
    number varchar(15) NOT NULL,
    peer varchar(20) NOT NULL,
    zone varchar(16) NOT NULL,
    duration_s integer NOT NULL CHECK (duration_s >= 0),
    amount numeric(14, 2) NOT NULL,
    CONSTRAINT calls_call_pkey PRIMARY KEY (id, started_at),
    CONSTRAINT calls_call_call_id_started_uniq UNIQUE (call_id, started_at)
) PARTITION BY RANGE (started_at);
CREATE INDEX calls_client_time_idx ON calls_call (client_id, started_at DESC, id DESC);
CREATE INDEX calls_client_number_idx ON calls_call (client_id, number, started_at DESC);
"""

PLAIN = """
DROP TABLE calls_call;
CREATE TABLE calls_call (
    id bigserial NOT NULL PRIMARY KEY,
    client_id bigint NOT NULL
        REFERENCES accounts_client (id) DEFERRABLE INITIALLY DEFERRED,
    call_id varchar(100) NOT NULL UNIQUE,
    started_at timestamp with time zone NOT NULL,
    direction varchar(3) NOT NULL,
    number varchar(15) NOT NULL,
    peer varchar(20) NOT NULL,
    zone varchar(16) NOT NULL,
    duration_s integer NOT NULL CHECK (duration_s >= 0),
    amount numeric(14, 2) NOT NULL
);
CREATE INDEX calls_client_time_idx ON calls_call (client_id, started_at DESC, id DESC);
CREATE INDEX calls_client_number_idx ON calls_call (client_id, number, started_at DESC);
"""


def partition(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def unpartition(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PLAIN)


class Migration(migrations.Migration):
    dependencies = [("calls", "0001_initial")]

    operations = [migrations.RunPython(partition, unpartition, elidable=False)]

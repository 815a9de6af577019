"""The warehouse model (billing_portal/model/) is the migrated warehouse: every table of the model has the migrated
table's columns, in order, with their types and nullability, and every table the migrations create is in the model
(a migration that changes a table without the model, or the reverse, fails here)."""

import psycopg

from billing_portal.model.tables import TABLE, TABLES

# Tables of the migration machinery itself, not of the warehouse.
NOT_MODELLED = {"schema_migrations"}


def _columns(conn, name):
    return conn.execute(
        "SELECT column_name, data_type, is_nullable = 'YES' FROM information_schema.columns"
        " WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position", (name,)).fetchall()


def test_every_table_of_the_model_is_the_migrated_table(database_url):
    with psycopg.connect(database_url) as conn:
        for table in TABLES:
            assert _columns(conn, table.name) == [(c.name, c.sql_type, c.nullable) for c in table.columns], table.name


def test_every_migrated_table_is_in_the_model(database_url):
    with psycopg.connect(database_url) as conn:
        migrated = {r[0] for r in conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition")}
    missing = sorted(migrated - set(TABLE) - NOT_MODELLED)
    assert not missing, f"tables created by the migrations but not in billing_portal/model/: {missing}"


def test_the_partitioned_tables_are_the_models(database_url):
    with psycopg.connect(database_url) as conn:
        got = dict(conn.execute(
            "SELECT c.relname, a.attname FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid"
            " JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]").fetchall())
    assert got == {t.name: t.partition_key for t in TABLES if t.partition_key}

"""The fact tables of billing_portal/model/tables.py are the migrated warehouse's: same columns, order, types and
nullability (a migration that changes a fact table without the model, or the reverse, fails here)."""

import psycopg

from billing_portal.model.tables import TABLES


def test_the_model_is_the_migrated_warehouse(database_url):
    with psycopg.connect(database_url) as conn:
        for table in TABLES:
            got = conn.execute(
                "SELECT column_name, data_type, is_nullable = 'YES' FROM information_schema.columns"
                " WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position",
                (table.name,)).fetchall()
            assert got == [(c.name, c.sql_type, c.nullable) for c in table.columns], table.name

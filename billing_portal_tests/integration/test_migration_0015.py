"""Migration 0015 on a warehouse that already holds days: cost_daily and cost_hourly_team become partitioned by day,
every stored day gets its partition, cost_daily is rolled up again from the facts (now with the allocation reason)
and cost_hourly_team regrouped at its new grain, with exact sums (the rows refresh_rollups produces from the
facts)."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from billing_portal.warehouse.migrate import available_migrations
from billing_portal.warehouse.rollups import refresh_rollups
from billing_portal_tests.conftest import _with_db

FACTS = """
CREATE TABLE hourly_cost_facts_p{d} PARTITION OF hourly_cost_facts
  FOR VALUES FROM ('{day}T00:00Z') TO ('{day}T00:00Z'::timestamptz + interval '1 day');
INSERT INTO hourly_cost_facts (usage_date, hour, fact_no, line_no, org_id, env_id, resource_id, resource_type,
  cluster_id, product, line_type, principal_id, principal_type, owner, team, business_unit, business_product,
  cost_center, amount_usd, allocation_method, allocation_reason, confidence)
SELECT '{day}', '{day}T00:00Z'::timestamptz + (i % 24) * interval '1 hour', i, i % 17, 'org-1', 'env-' || (i % 3),
       'lkc-' || (i % 5), 'kafka', CASE WHEN i % 11 = 0 THEN NULL ELSE 'lkc-' || (i % 5) END,
       CASE WHEN i % 4 = 0 THEN 'CONNECT' ELSE 'KAFKA' END, 'LT_' || (i % 6), 'sa-' || (i % 40), 'service_account',
       'owner-' || (i % 9), CASE WHEN i % 13 = 0 THEN NULL ELSE 'team-' || (i % 7) END, 'bu-' || (i % 3),
       'bp-' || (i % 4), 'cc-' || (i % 2), ((i * 7919) % 20001 - 10000) / 1000.0, 'usage', 'r', 'high'
FROM generate_series(0, 4999) i;
"""


@pytest.fixture
def blank_database(pg_server_url):
    name = f"bpt_{uuid.uuid4().hex[:12]}"
    admin = _with_db(pg_server_url, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield _with_db(pg_server_url, name)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _rows(conn, table: str) -> list[tuple]:
    return sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)


def test_0015_partitions_and_regroups_the_stored_days(blank_database):
    migrations = available_migrations()
    days = ("2024-05-01", "2024-05-02")
    with psycopg.connect(blank_database) as conn:
        for m in migrations:
            if m.version < 15:
                conn.execute(m.sql)
        for day in days:
            conn.execute(FACTS.format(d=day.replace("-", ""), day=day))
        # the days rolled up as the writers before 0015 did (migration 0014's rebuild)
        m14 = next(m for m in migrations if m.version == 14).sql
        conn.execute(m14[m14.index("DELETE FROM cost_daily;"):m14.index("-- From now on")])
        before_daily = _rows(conn, "cost_daily")
        before_hourly = conn.execute("SELECT sum(amount_usd), sum(fact_rows), sum(charges_usd), count(*)"
                                     " FROM cost_hourly_team").fetchone()
        conn.execute(next(m for m in migrations if m.version == 15).sql)
        conn.commit()

        daily_total = "SELECT sum(amount_usd), sum(fact_rows), sum(charges_usd) FROM cost_daily"
        assert conn.execute(daily_total).fetchone() == (sum(r[-3] for r in before_daily),
                                                        sum(r[-2] for r in before_daily),
                                                        sum(r[-1] for r in before_daily))
        migrated_daily = _rows(conn, "cost_daily")
        after = conn.execute("SELECT sum(amount_usd), sum(fact_rows), sum(charges_usd), count(*)"
                             " FROM cost_hourly_team").fetchone()
        assert after[:3] == before_hourly[:3] and after[3] < before_hourly[3]
        parts = {r[0] for r in conn.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                                            " JOIN pg_class p ON p.oid = i.inhparent"
                                            " WHERE p.relname IN ('cost_daily', 'cost_hourly_team')")}
        assert parts == {f"{t}_p{d.replace('-', '')}" for t in ("cost_daily", "cost_hourly_team") for d in days}
        migrated = _rows(conn, "cost_hourly_team")
        import datetime as dt

        for day in days:  # the writer's grouping from the facts gives the migrated rows
            refresh_rollups(conn, dt.date.fromisoformat(day))
        assert _rows(conn, "cost_hourly_team") == migrated
        assert _rows(conn, "cost_daily") == migrated_daily

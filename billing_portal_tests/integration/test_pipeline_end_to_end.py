"""The walking skeleton end to end: simulator → `billing-portal materialize` (Dagster) → PostgreSQL.

Facts equal the bill per day and per resource × line type to the cent; a rerun of unchanged days replaces them
without a single difference; a restated day is replaced and its before/after totals recorded."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import psycopg

from billing_portal.simulator.server import start_simulator
from billing_portal_tests.pipeline import materialize, newest_billed_day, simulator_env


def _per_day(url: str, sql: str) -> dict:
    with psycopg.connect(url) as conn:
        return {row[0]: row[1:] for row in conn.execute(sql)}


FACTS_BY_DAY = "SELECT usage_date, sum(amount_usd), count(*) FROM hourly_cost_facts GROUP BY 1 ORDER BY 1"
BILL_BY_DAY = "SELECT usage_date, sum(amount) FROM billing_costs GROUP BY 1 ORDER BY 1"


def test_two_partitions_reconcile_and_rerun_is_identical(database_url):
    # the two newest days whose bills are published (72 h) while their usage is still in the Metrics API
    end = newest_billed_day() + dt.timedelta(days=1)
    start = end - dt.timedelta(days=2)
    sim = start_simulator(seed=7, scale="small")
    try:
        with tempfile.TemporaryDirectory(dir="/tmp") as home:
            env = simulator_env(sim.url, database_url, Path(home))
            out = materialize(env, start, end).stdout
            assert "check hourly_cost_facts:reconciliation passed" in out
            facts = _per_day(database_url, FACTS_BY_DAY)
            bill = _per_day(database_url, BILL_BY_DAY)
            assert sorted(facts) == [start, start + dt.timedelta(days=1)]
            for day, (amount, rows) in facts.items():
                assert rows > 1000
                assert amount == bill[day][0], day
            with psycopg.connect(database_url) as conn:
                diffs = conn.execute(
                    "SELECT b.usage_date, b.resource_id, b.line_type, b.amount, f.amount FROM"
                    " (SELECT usage_date, coalesce(resource_id, '') resource_id, line_type, sum(amount) amount"
                    "  FROM billing_costs GROUP BY 1, 2, 3) b FULL JOIN"
                    " (SELECT usage_date, coalesce(resource_id, '') resource_id, line_type, sum(amount_usd) amount"
                    "  FROM hourly_cost_facts GROUP BY 1, 2, 3) f USING (usage_date, resource_id, line_type)"
                    " WHERE b.amount IS DISTINCT FROM f.amount").fetchall()
                assert diffs == []
                before = conn.execute("SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM"
                                      " (SELECT hour, fact_no, principal_id, amount_usd, confidence FROM"
                                      "  hourly_cost_facts) t").fetchone()[0]
            materialize(env, start, end)
            with psycopg.connect(database_url) as conn:
                after = conn.execute("SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM"
                                     " (SELECT hour, fact_no, principal_id, amount_usd, confidence FROM"
                                     "  hourly_cost_facts) t").fetchone()[0]
            assert after == before
            assert _per_day(database_url, FACTS_BY_DAY) == facts
    finally:
        sim.stop()

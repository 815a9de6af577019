"""The walking skeleton end to end: simulator → `billing-portal materialize` (Dagster) → PostgreSQL.

Facts equal the bill per day and per resource × line type to the cent; a rerun of unchanged days replaces them
without a single difference; a restated day is replaced and its before/after totals recorded. The run's asset and
check metadata are numbers the Dagster UI can plot, and its output carries no warning of ours (issue 16)."""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from decimal import Decimal
from pathlib import Path

import psycopg

from billing_portal.simulator.server import start_simulator
from billing_portal_tests.pipeline import materialize, newest_billed_day, simulator_env


def _per_day(url: str, sql: str) -> dict:
    with psycopg.connect(url) as conn:
        return {row[0]: row[1:] for row in conn.execute(sql)}


FACTS_BY_DAY = "SELECT usage_date, sum(amount_usd), count(*) FROM hourly_cost_facts GROUP BY 1 ORDER BY 1"
BILL_BY_DAY = "SELECT usage_date, sum(amount) FROM billing_costs GROUP BY 1 ORDER BY 1"


def run_metadata(dagster_home: Path) -> tuple[dict, dict]:
    """The newest run's materialization metadata by asset and check-evaluation metadata by check name."""
    from dagster import DagsterEventType, DagsterInstance

    assets, checks = {}, {}
    with DagsterInstance.from_config(str(dagster_home)) as instance:
        (run,) = instance.get_runs(limit=1)
        for rec in instance.all_logs(run.run_id):
            ev = rec.dagster_event
            if ev is None:
                continue
            if ev.event_type == DagsterEventType.ASSET_MATERIALIZATION:
                m = ev.event_specific_data.materialization
                assets[m.asset_key.to_user_string()] = dict(m.metadata)
            elif ev.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
                checks[ev.event_specific_data.check_name] = dict(ev.event_specific_data.metadata)
    return assets, checks


def assert_numeric_metadata(assets: dict, checks: dict, allocated: Decimal, days: int) -> None:
    from dagster import FloatMetadataValue, IntMetadataValue, TextMetadataValue

    facts = assets["hourly_cost_facts"]
    for key in ("billed_usd", "allocated_usd", "unallocated_usd"):
        assert isinstance(facts[key], FloatMetadataValue), (key, facts[key])
    assert facts["allocated_usd"].value == float(allocated) > 0
    assert isinstance(assets["billing_costs"]["billed_usd"], FloatMetadataValue)
    assert isinstance(assets["cost_confidence"]["total_usd"], FloatMetadataValue)
    assert assets["cost_confidence"]["total_usd"].value > 0
    share = checks["unallocated_share"]
    assert isinstance(share["unallocated_share"], FloatMetadataValue) and isinstance(share["threshold"],
                                                                                    FloatMetadataValue)
    assert -1 <= share["unallocated_share"].value <= 1 and share["threshold"].value == 0.05  # ratios, not "5.00%"
    assert isinstance(checks["reconciliation"]["days_checked"], IntMetadataValue)
    assert checks["reconciliation"]["days_checked"].value == days
    assert isinstance(checks["reconciliation"]["billed_usd"], FloatMetadataValue)
    assert isinstance(checks["quarantined_rows"]["quarantined_rows"], IntMetadataValue)
    # no number (or percentage) anywhere is left as text
    number = re.compile(r"-?\d+(\.\d+)?%?")
    for owner, metadata in [*assets.items(), *checks.items()]:
        for key, value in metadata.items():
            assert not (isinstance(value, TextMetadataValue) and number.fullmatch(value.value or "")), (owner, key)


def test_two_partitions_reconcile_and_rerun_is_identical(database_url):
    # the two newest days whose bills are published (72 h) while their usage is still in the Metrics API
    end = newest_billed_day() + dt.timedelta(days=1)
    start = end - dt.timedelta(days=2)
    sim = start_simulator(seed=7, scale="small")
    try:
        with tempfile.TemporaryDirectory(dir="/tmp") as home:
            env = simulator_env(sim.url, database_url, Path(home))
            # every DeprecationWarning shown: none may be attributed to our code
            proc = materialize(env | {"PYTHONWARNINGS": "always::DeprecationWarning"}, start, end)
            out = proc.stdout
            assert "check hourly_cost_facts:reconciliation passed" in out
            assert out.count("warehouse:") == 1
            ours = [line for line in proc.stderr.splitlines()
                    if "Warning:" in line and ("billing_portal/" in line or "BetaWarning" in line)]
            assert not ours, ours
            facts = _per_day(database_url, FACTS_BY_DAY)
            bill = _per_day(database_url, BILL_BY_DAY)
            assert sorted(facts) == [start, start + dt.timedelta(days=1)]
            for day, (amount, rows) in facts.items():
                assert rows > 1000
                assert amount == bill[day][0], day
            assert_numeric_metadata(*run_metadata(Path(home) / "dagster"), sum(b[0] for b in bill.values()), 2)
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

"""Two runs of the same partition at once, and the API while partitions are rewritten (issue 7).

- Two real `billing-portal materialize` processes for the same day, released at the same instant into their
  writes: the per-partition lock (pg_advisory_xact_lock on asset + day, taken first in each write transaction)
  makes the second wait for the first; the day ends up exactly once, never duplicated.
- A run that cannot get the lock within BILLING_PORTAL_PARTITION_LOCK_WAIT_SECONDS fails with one clear line
  naming the partition and the holder, and writes nothing.
- While a day is rewritten again and again (alternating restated bills), a thread hammering /v1/costs/summary and
  /v1/costs on the live sidecar never gets an error and every total it sees is one complete version of the day.
"""

from __future__ import annotations

import subprocess
import threading
import time
from decimal import Decimal

import psycopg
import pytest
import requests

from billing_portal.resources.warehouse import lock_partition
from billing_portal_tests.factories import LiveServer, sidecar_app
from billing_portal_tests.integration.test_faults_pipeline import DAY, NEXT, reference_bill, stored
from billing_portal_tests.pipeline import BIN, materialize, simulator_env

pytestmark = pytest.mark.timeout(600)


@pytest.fixture
def env(sim, database_url, tmp_path):
    return simulator_env(sim.url, database_url, tmp_path / "home")


def _spawn(env: dict, home, job: str = "full") -> subprocess.Popen:
    home.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen([str(BIN), "materialize", "--start", DAY.isoformat(), "--end", NEXT.isoformat(),
                             "--job", job], env=env | {"DAGSTER_HOME": str(home)}, cwd=home,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _lock_waiters(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                            " AND wait_event_type = 'Lock' AND application_name = 'billing_portal'").fetchone()[0]


def _duplicates(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {
            "billing_costs": conn.execute("SELECT count(*) - count(DISTINCT line_hash) FROM billing_costs"
                                          " WHERE usage_date = %s", (DAY,)).fetchone()[0],
            "hourly_cost_facts": conn.execute("SELECT count(*) - count(DISTINCT fact_no) FROM hourly_cost_facts"
                                              " WHERE usage_date = %s", (DAY,)).fetchone()[0],
            "quarantine_rows": conn.execute("SELECT count(*) - count(DISTINCT raw) FROM quarantine_rows"
                                            " WHERE usage_date = %s", (DAY,)).fetchone()[0],
        }


def test_two_concurrent_runs_of_one_day_never_duplicate(sim, env, database_url, tmp_path):
    sim.faults.add(f"bad-rows:day={DAY.isoformat()}")  # quarantine rows too: they are replaced with the day
    materialize(env, DAY, NEXT)
    solo = stored(database_url)
    lines, billed = reference_bill(sim.url)
    assert solo["bill"][:2] == (lines, billed) and solo["quarantine"][0] == 3

    # Hold the bill table so both runs reach their billing write and wait there, then let both go at once.
    gate = psycopg.connect(database_url)
    gate.execute("LOCK TABLE billing_costs IN ACCESS EXCLUSIVE MODE")
    procs = [_spawn(env, tmp_path / f"run{i}") for i in range(2)]
    try:
        deadline = time.monotonic() + 120
        while _lock_waiters(database_url) < 2:
            assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
            assert time.monotonic() < deadline, "both runs should reach the billing write"
            time.sleep(0.2)
    finally:
        gate.rollback()
        gate.close()
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, f"{out[-2000:]}\n{err[-3000:]}"
    waited = [err for _, err in outs if "is being written by another run" in err]
    assert waited, "the second run must have waited for the first one's partition lock"

    assert _duplicates(database_url) == {"billing_costs": 0, "hourly_cost_facts": 0, "quarantine_rows": 0}
    both = stored(database_url)
    assert both["bill"] == solo["bill"] and both["quarantine"] == solo["quarantine"]
    assert both["facts"][:2] == solo["facts"][:2]


def test_a_run_that_cannot_get_the_lock_fails_clearly_and_writes_nothing(sim, env, database_url):
    materialize(env, DAY, NEXT)
    before = stored(database_url)
    sim.faults.add(f"restate:day={DAY.isoformat()},variant=1")  # the blocked run would write another bill
    holder = psycopg.connect(database_url)
    try:
        lock_partition(holder, "billing_costs", DAY, 1)
        started = time.monotonic()
        proc = materialize(env | {"BILLING_PORTAL_PARTITION_LOCK_WAIT_SECONDS": "3"}, DAY, NEXT, check=False)
        elapsed = time.monotonic() - started
    finally:
        holder.rollback()
        holder.close()
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr[-3000:]
    assert f"partition billing_costs:{DAY.isoformat()} is being written by another run (database session pid" \
        in errors[0]
    assert "stayed locked for more than 3 s" in errors[0]
    assert elapsed < 60
    assert stored(database_url) == before


def test_the_api_answers_with_one_complete_version_while_the_day_is_rewritten(sim, env, database_url):
    totals = {}
    for variant in (0, 1, 2):
        sim.faults.clear()
        if variant:
            sim.faults.add(f"restate:day={DAY.isoformat()},variant={variant}")
        totals[variant] = reference_bill(sim.url)[1]
    assert len(set(totals.values())) == 3
    sim.faults.clear()
    materialize(env, DAY, NEXT)
    versions = set(totals.values())
    rng = f"from_ts={DAY.isoformat()}T00:00:00Z&to_ts={NEXT.isoformat()}T00:00:00Z"

    seen: list[Decimal] = []
    failures: list[str] = []
    stop = threading.Event()

    def hammer(base: str) -> None:
        session = requests.Session()
        while not stop.is_set():
            try:
                r = session.get(f"{base}/v1/costs/summary?{rng}&granularity=day&group_by=team", timeout=60)
                if r.status_code != 200:
                    failures.append(f"summary {r.status_code} {r.text[:300]}")
                    continue
                total = Decimal(r.json()["total_usd"])
                seen.append(total)
                if total not in versions:
                    failures.append(f"summary total {total} is not a complete version of the day {versions}")
                r = session.get(f"{base}/v1/costs?{rng}&limit=10", timeout=60)
                if r.status_code != 200:
                    failures.append(f"costs {r.status_code} {r.text[:300]}")
            except requests.RequestException as exc:
                failures.append(f"request failed: {exc}")

    with LiveServer(sidecar_app(database_url)) as srv:
        threads = [threading.Thread(target=hammer, args=(srv.url,)) for _ in range(2)]
        for t in threads:
            t.start()
        try:
            for variant in (1, 2, 0, 1):
                sim.faults.clear()
                if variant:
                    sim.faults.add(f"restate:day={DAY.isoformat()},variant={variant}")
                materialize(env, DAY, NEXT)
                assert stored(database_url)["facts"][1] == totals[variant]
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=120)
    assert failures == []
    assert len(seen) > 20 and len(set(seen)) >= 2, "the readers must have seen the day change under them"

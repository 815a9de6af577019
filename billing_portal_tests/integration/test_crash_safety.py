"""kill -9 in the middle of writing a partition, then rerun: the totals are exact (issue 7).

A real `billing-portal materialize` process (its own process group) rewrites a day whose bill was restated. The test
waits until it is inside the facts write — during the COPY into the staging table, or loaded and about to swap the
partition in — and SIGKILLs the whole process group. Then:
- the previous version of the day is intact (the write transaction never commits; the orphaned server session
  rolls back), no staging table is left behind;
- a stray staging table left by some earlier crash does not break the rerun;
- the rerun lands the restated bill exactly (per day and per bill line) and records before/after.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import time
from decimal import Decimal

import psycopg
import pytest

from billing_portal.resources.warehouse import lock_partition
from billing_portal.simulator.server import start_simulator
from billing_portal.warehouse.replace import partition_name
from billing_portal_tests.integration.test_faults_pipeline import DAY, NEXT, reference_bill, stored
from billing_portal_tests.pipeline import BIN, materialize, simulator_env

pytestmark = pytest.mark.timeout(900)

STAGING = partition_name("hourly_cost_facts", DAY) + "_new"


def _sessions(url: str) -> list[tuple]:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("SELECT pid, state, wait_event_type, query FROM pg_stat_activity WHERE"
                            " datname = current_database() AND application_name = 'billing_portal'").fetchall()


def _staging_tables(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute("SELECT relname FROM pg_class WHERE relname LIKE 'hourly_cost_facts_p%_new'")]


@pytest.mark.parametrize("phase", ["copy", "swap"])
def test_kill_9_while_writing_a_partition_then_rerun_is_exact(database_url, tmp_path, phase):
    # "copy": a medium day (>100k facts) so that the COPY into the staging table lasts long enough to be seen.
    # "swap": the test holds a SHARE lock on the parent, so the writer stops right before it drops the old
    # partition (staging fully loaded, rollups rebuilt), and is killed there.
    sim = start_simulator(seed=5, scale="medium" if phase == "copy" else "small")
    try:
        env = simulator_env(sim.url, database_url, tmp_path / "home")
        materialize(env, DAY, NEXT)
        before = stored(database_url)
        assert before["facts"][1] == before["bill"][1]
        sim.faults.add(f"restate:day={DAY.isoformat()},variant=1")
        new_lines, new_billed = reference_bill(sim.url)
        assert new_billed != before["bill"][1]

        gate = psycopg.connect(database_url)
        if phase == "swap":
            gate.execute("LOCK TABLE hourly_cost_facts IN SHARE MODE")
        proc = subprocess.Popen([str(BIN), "materialize", "--start", DAY.isoformat(), "--end", NEXT.isoformat()],
                                env=env, cwd=tmp_path / "home", stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
        seen = None
        deadline = time.monotonic() + 300
        try:
            while seen is None:
                assert proc.poll() is None, f"the run ended before it was killed: {proc.communicate()}"
                assert time.monotonic() < deadline, "never saw the facts write"
                for _pid, state, wait, query in _sessions(database_url):
                    q = " ".join((query or "").split())
                    if phase == "copy" and state == "active" and q.startswith("COPY") and STAGING in q:
                        seen = q
                    if phase == "swap" and wait == "Lock" and STAGING not in q and "hourly_cost_facts" in q:
                        seen = q
                time.sleep(0.01)
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            gate.rollback()
            gate.close()
        assert proc.returncode == -signal.SIGKILL

        # The orphaned server session notices its client is gone and rolls back (it never got a COMMIT).
        deadline = time.monotonic() + 120
        while _sessions(database_url):
            assert time.monotonic() < deadline, _sessions(database_url)
            time.sleep(0.2)
        killed = stored(database_url)
        assert killed["facts"] == before["facts"], f"killed during {seen!r}: the previous facts must be intact"
        assert [r for r in killed["status"] if r[0] == "hourly_cost_facts"] == \
            [r for r in before["status"] if r[0] == "hourly_cost_facts"]
        # billing_costs is another asset, committed in its own transaction before the facts step started.
        assert killed["bill"][:2] in (before["bill"][:2], (new_lines, new_billed))
        assert _staging_tables(database_url) == []

        # A stray staging table from some other crash must not break the rerun either.
        with psycopg.connect(database_url) as conn:
            conn.execute(f'CREATE TABLE "{STAGING}" (LIKE hourly_cost_facts)')
            conn.execute(f'INSERT INTO "{STAGING}" SELECT * FROM hourly_cost_facts LIMIT 100')

        proc = materialize(env, DAY, NEXT)
        after = stored(database_url)
        assert after["bill"][:2] == (new_lines, new_billed)
        assert after["facts"][1] == new_billed
        with psycopg.connect(database_url) as conn:
            bad_lines = conn.execute(
                "SELECT count(*) FROM (SELECT line_no, amount FROM billing_costs WHERE usage_date = %s) b FULL JOIN"
                " (SELECT line_no, sum(amount_usd) s FROM hourly_cost_facts WHERE usage_date = %s GROUP BY 1) f"
                " USING (line_no) WHERE b.amount IS DISTINCT FROM f.s", (DAY, DAY)).fetchone()[0]
            rollup = conn.execute("SELECT sum(amount_usd) FROM cost_daily WHERE usage_date = %s",
                                  (DAY,)).fetchone()[0]
        assert bad_lines == 0
        assert rollup == new_billed, "the rollups follow the facts exactly"
        assert _staging_tables(database_url) == []
        assert "check hourly_cost_facts:reconciliation passed" in proc.stdout
        status = {a: amount for a, _, amount, _ in after["status"]}
        assert status == {"billing_costs": new_billed, "hourly_cost_facts": new_billed}
        assert Decimal(before["facts"][1]) != new_billed
    finally:
        sim.stop()


def test_rerun_after_kill_is_idempotent_with_the_day_before(database_url, tmp_path):
    """Neighbouring days are untouched by a crash on one day: a 2-day range killed while writing the second day
    keeps the first day's new version (its own committed transaction) and the second day's old one."""
    sim = start_simulator(seed=5, scale="small")
    try:
        env = simulator_env(sim.url, database_url, tmp_path / "home")
        first = DAY - dt.timedelta(days=1)
        materialize(env, first, NEXT)
        with psycopg.connect(database_url) as conn:
            old = dict(conn.execute("SELECT usage_date, sum(amount_usd) FROM hourly_cost_facts GROUP BY 1"))
        for d in (first, DAY):
            sim.faults.add(f"restate:day={d.isoformat()},variant=1")
        # The second day's partition is held (as by another writer): the run commits the first day, then waits
        # inside the second day's write transaction, where it is killed.
        gate = psycopg.connect(database_url)
        lock_partition(gate, "hourly_cost_facts", DAY, 1)
        proc = subprocess.Popen([str(BIN), "materialize", "--start", first.isoformat(), "--end", NEXT.isoformat()],
                                env=env, cwd=tmp_path / "home", stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
        try:
            deadline = time.monotonic() + 300
            while not any(s[2] == "Lock" and "pg_advisory_xact_lock" in (s[3] or "") for s in _sessions(database_url)):
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            gate.rollback()
            gate.close()
        deadline = time.monotonic() + 120
        while _sessions(database_url):
            assert time.monotonic() < deadline
            time.sleep(0.2)
        with psycopg.connect(database_url) as conn:
            mid = dict(conn.execute("SELECT usage_date, sum(amount_usd) FROM hourly_cost_facts GROUP BY 1"))
            bill = dict(conn.execute("SELECT usage_date, sum(amount) FROM billing_costs GROUP BY 1"))
        assert mid[DAY] == old[DAY], "the killed day keeps its previous version"
        assert mid[first] == bill[first] != old[first], "the committed day has its new version"
        materialize(env, first, NEXT)
        with psycopg.connect(database_url) as conn:
            final = dict(conn.execute("SELECT usage_date, sum(amount_usd) FROM hourly_cost_facts GROUP BY 1"))
            bill = dict(conn.execute("SELECT usage_date, sum(amount) FROM billing_costs GROUP BY 1"))
        assert final == bill and final[DAY] != old[DAY]
    finally:
        sim.stop()

"""Confluent Cloud faults through the real product pipeline: simulator (switchable faults) → `billing-portal
materialize` (Dagster, a subprocess) → PostgreSQL → the sidecar's /v1/reconciliation.

Guarantees under test (issue 7):
- transient faults (429 with Retry-After and reset headers, 5xx bursts, connection resets, read timeouts, truncated
  or invalid JSON pages, an expired page token) are retried and the day lands exactly as a fault-free bill;
- persistent faults exhaust a bounded retry budget (CCLOUD_HTTP_*), then the run fails with one clear line, no
  traceback, and the previously materialized day is left exactly as it was (no partial partition);
- the same row on two pages is counted once (canonical-JSON rule of `confluent/normalize.py`);
- unparseable rows land in quarantine_rows with the raw payload and the reason, counted in the materialization
  metadata, the asset checks and /v1/reconciliation, where billed = allocated + quarantined; unknown products and
  line types and negative amounts are allocated, never dropped;
- a restated day replaces the day (no old line survives) and its before/after totals are recorded.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from decimal import Decimal

import psycopg
import pytest
import requests

from billing_portal.confluent.billing import BillingClient
from billing_portal.confluent.http import ConfluentHttp
from billing_portal_tests.factories import LiveServer, sidecar_app
from billing_portal_tests.pipeline import materialize, newest_billed_day, simulator_env

pytestmark = pytest.mark.timeout(600)

TODAY = dt.datetime.now(dt.UTC).date()
DAY = newest_billed_day(TODAY)  # bill published (72 h) and usage still in the Metrics API (7 days)
NEXT = DAY + dt.timedelta(days=1)
ATTEMPTS = 4
BUDGET_S = 8.0
# A small retry budget, a short read timeout and 20-line billing pages (so that a day spans several pages).
FAULT_ENV = {"CCLOUD_HTTP_MAX_ATTEMPTS": str(ATTEMPTS), "CCLOUD_HTTP_RETRY_BUDGET_SECONDS": str(BUDGET_S),
             "CCLOUD_HTTP_READ_TIMEOUT_SECONDS": "2", "CCLOUD_BILLING_PAGE_SIZE": "20"}


@pytest.fixture
def env(sim, database_url, tmp_path):
    return simulator_env(sim.url, database_url, tmp_path / "home", **FAULT_ENV)


def reference_batch(sim_url: str):
    """What the simulator bills for DAY right now, read in one page by the product's own billing client (call it
    when no request fault is active)."""
    with ConfluentHttp(sim_url, "SIMKEY", "SIMSECRET") as http:
        return BillingClient(http, page_size=10_000).fetch_costs(DAY, NEXT)


def reference_bill(sim_url: str) -> tuple[int, Decimal]:
    """(lines after de-duplication, their sum) of the simulator's bill for DAY."""
    batch = reference_batch(sim_url)
    return len(batch.lines), sum(batch.lines["amount"], Decimal(0))


def stored(url: str) -> dict:
    """Everything a run writes for DAY that must stay intact (or be exact): bill lines, facts, quarantine and the
    partition bookkeeping of both."""
    with psycopg.connect(url) as conn:
        one = lambda q: conn.execute(q, (DAY,)).fetchone()  # noqa: E731
        return {
            "bill": one("SELECT count(*), COALESCE(sum(amount), 0), md5(string_agg(line_hash || amount::text, ','"
                        " ORDER BY line_no)) FROM billing_costs WHERE usage_date = %s"),
            "facts": one("SELECT count(*), COALESCE(sum(amount_usd), 0), md5(string_agg(concat_ws('|', fact_no,"
                         " line_no, principal_id, amount_usd), ',' ORDER BY fact_no)) FROM hourly_cost_facts"
                         " WHERE usage_date = %s"),
            "quarantine": one("SELECT count(*), COALESCE(sum(amount), 0) FROM quarantine_rows WHERE usage_date = %s"),
            "status": conn.execute("SELECT asset_name, row_count, amount_usd, run_id FROM partition_status WHERE"
                                   " usage_date = %s AND asset_name IN ('billing_costs', 'hourly_cost_facts')"
                                   " ORDER BY 1", (DAY,)).fetchall(),
        }


def run_id(stdout: str) -> str:
    return re.search(r"as run ([0-9a-f-]{36})", stdout).group(1)


def dagster_events(env: dict, rid: str) -> list:
    from billing_portal_tests.pipeline import dagster_instance

    with dagster_instance(env["DAGSTER_HOME"]) as instance:
        return [r.dagster_event for r in instance.all_logs(rid) if r.dagster_event is not None]


def materializations(env: dict, rid: str) -> dict[str, dict]:
    out = {}
    for ev in dagster_events(env, rid):
        if ev.event_type_value == "ASSET_MATERIALIZATION":
            mat = ev.event_specific_data.materialization
            out[mat.asset_key.to_user_string()] = {k: v.value for k, v in mat.metadata.items()}
    return out


def check_results(env: dict, rid: str) -> dict[str, tuple[bool, dict]]:
    out = {}
    for ev in dagster_events(env, rid):
        if ev.event_type_value == "ASSET_CHECK_EVALUATION":
            data = ev.event_specific_data
            out[f"{data.asset_key.to_user_string()}:{data.check_name}"] = (
                data.passed, {k: v.value for k, v in data.metadata.items()})
    return out


def assert_exact(url: str, lines: int, billed: Decimal) -> None:
    s = stored(url)
    assert s["bill"][:2] == (lines, billed)
    assert s["facts"][1] == billed and s["facts"][0] > lines
    with psycopg.connect(url) as conn:
        per_line = conn.execute(
            "SELECT count(*) FROM (SELECT line_no, amount FROM billing_costs WHERE usage_date = %s) b FULL JOIN"
            " (SELECT line_no, sum(amount_usd) s FROM hourly_cost_facts WHERE usage_date = %s GROUP BY 1) f"
            " USING (line_no) WHERE b.amount IS DISTINCT FROM f.s", (DAY, DAY)).fetchone()[0]
    assert per_line == 0, "every bill line is allocated exactly once"


def billing_requests(sim) -> list[tuple[str, str, int]]:
    return [r for r in sim.requests if r[1].startswith("/billing/v1/costs")]


# --- transient faults: retried, the day is exact -----------------------------------------------------------------
TRANSIENT = {
    "429-storm": "429:count=3,retry_after=1,path=/billing",
    "5xx-burst": "5xx:count=3,status=503,path=/billing,skip=1",
    "502-then-504": "502:count=1,path=/billing",
    "connection-reset": "reset:count=2,path=/billing,skip=1",
    "read-timeout": "slow:seconds=4,count=1,path=/billing,skip=1",
    "truncated-page": "truncate:count=1,fraction=0.5,path=/billing,skip=2",
    "invalid-json-page": "bad-json:count=1,path=/billing,skip=1",
    "page-token-expiry": "token-expiry:count=1",
}


@pytest.mark.parametrize("spec", TRANSIENT.values(), ids=TRANSIENT.keys())
def test_transient_fault_is_retried_and_the_day_is_exact(sim, env, database_url, spec):
    fault = sim.faults.add(spec)
    started = time.monotonic()
    proc = materialize(env, DAY, NEXT)
    elapsed = time.monotonic() - started
    assert fault.triggered >= 1, "the fault must actually have hit the run"
    failed_attempts = [r for r in billing_requests(sim) if r[2] in (0, 400, 429, 500, 502, 503, 504)]
    lines, billed = reference_bill(sim.url)
    assert lines > 40  # several 20-line pages
    assert_exact(database_url, lines, billed)
    assert "check hourly_cost_facts:reconciliation passed" in proc.stdout
    if fault.kind == "429":
        # Retry-After honoured: three 429s, each waited for at least its 1 s, logged with the reason.
        assert len([r for r in failed_attempts if r[2] == 429]) == 3
        waits = [float(w) for w in re.findall(r"retry \d+/\d+ in ([0-9.]+) s \(Retry-After\)", proc.stderr)]
        assert len(waits) == 3 and all(w >= 1.0 for w in waits), proc.stderr[-2000:]
        assert elapsed > 3.0
    if fault.kind in ("5xx", "reset", "truncate", "bad-json", "slow"):
        assert re.search(rf"GET /billing/v1/costs: .*retry 2/{ATTEMPTS} in", proc.stderr), proc.stderr[-2000:]
    if fault.kind == "token-expiry":
        assert "restarting the listing from the first page" in proc.stderr
        starts = [r for r in billing_requests(sim) if "page_token" not in r[1] and "page_size=20" in r[1]]
        assert len(starts) == 2, "the window is re-read from its first page once"


# --- persistent faults: bounded budget, clear failure, previous day intact ----------------------------------------
PERSISTENT = {
    "5xx-forever": "5xx:count=*,path=/billing,skip=1",
    "429-forever": "429:count=*,retry_after=1,path=/billing,skip=1",
    "429-beyond-budget": f"429:count=*,retry_after={int(BUDGET_S) + 5},path=/billing,skip=1",
    "resets-forever": "reset:count=*,path=/billing,skip=1",
    "timeouts-forever": "slow:seconds=3,count=*,path=/billing,skip=1",
    "truncated-forever": "truncate:count=*,path=/billing,skip=2",
    "token-always-expired": "token-expiry",
}
MESSAGES = {
    "5xx": "failed after 4 attempts", "429": "failed after", "reset": "failed after 4 attempts",
    "slow": "failed after 4 attempts", "truncate": "failed after 4 attempts",
    "token-expiry": "gave up after restarting the listing 3 times",
}


@pytest.mark.parametrize("spec", PERSISTENT.values(), ids=PERSISTENT.keys())
def test_persistent_fault_fails_within_budget_and_keeps_the_previous_day(sim, env, database_url, spec):
    materialize(env, DAY, NEXT)
    before = stored(database_url)
    assert before["bill"][0] > 40 and before["facts"][1] == before["bill"][1]
    # The bill changes (a restatement) and the next run cannot read it to the end: a partial write would show.
    sim.faults.add(f"restate:day={DAY.isoformat()},variant=1")
    fault = sim.faults.add(spec)
    sim.clear_requests()
    started = time.monotonic()
    proc = materialize(env, DAY, NEXT, check=False)
    elapsed = time.monotonic() - started
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr[-3000:]
    assert errors[0].startswith("error: materialization failed: billing_costs: ")
    assert "/billing/v1/costs" in errors[0] and MESSAGES[fault.kind] in errors[0], errors[0]
    if fault.kind == "429" and fault.params["retry_after"] > BUDGET_S:
        assert "but only" in errors[0] and "retry budget" in errors[0]  # never sleeps for a retry it cannot make
    # Bounded: attempts per call, sleep budget; the whole run (Dagster start-up included) stays well inside.
    assert 1 <= fault.triggered <= ATTEMPTS
    if fault.kind == "token-expiry":  # 1 pass + 3 restarts, each: the first page and the refused second page
        assert len(billing_requests(sim)) == 8
    else:
        assert len(billing_requests(sim)) <= fault.skip + ATTEMPTS
    assert elapsed < 60 + BUDGET_S
    assert stored(database_url) == before, "a failed run must leave the previous day exactly as it was"


def test_a_failed_run_then_a_clean_rerun_lands_the_restated_day(sim, env, database_url):
    """After the failure above, the fault goes away: the next run writes the restated bill exactly."""
    materialize(env, DAY, NEXT)
    sim.faults.add(f"restate:day={DAY.isoformat()},variant=2")
    fault = sim.faults.add("5xx:count=*,path=/billing,skip=1")
    assert materialize(env, DAY, NEXT, check=False).returncode != 0
    sim.faults.remove(fault)
    materialize(env, DAY, NEXT)
    assert_exact(database_url, *reference_bill(sim.url))


# --- duplicates across pages --------------------------------------------------------------------------------------
def test_the_same_row_on_two_pages_is_counted_once(sim, env, database_url):
    lines, billed = reference_bill(sim.url)
    fault = sim.faults.add("duplicate-row:count=2")
    proc = materialize(env, DAY, NEXT)
    assert fault.triggered == 2
    assert_exact(database_url, lines, billed)
    assert "2 duplicates removed" in proc.stdout
    assert materializations(env, run_id(proc.stdout))["billing_costs"]["duplicate_rows_removed"] == 2
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) = count(DISTINCT line_hash) FROM billing_costs").fetchone()[0]


# --- quarantine, unknown lines, negative amounts, reconciliation -------------------------------------------------
def test_bad_unknown_and_negative_rows_are_quarantined_or_allocated_and_reconciled(sim, env, database_url):
    clean_lines, clean_billed = reference_bill(sim.url)
    for spec in ("bad-rows", "unknown-lines", "negative-amounts"):
        sim.faults.add(f"{spec}:day={DAY.isoformat()}")
    proc = materialize(env, DAY, NEXT)
    lines, billed = reference_bill(sim.url)
    # 2 unknown + 2 negative lines are kept and allocated; the 3 unusable rows are not lines.
    assert lines == clean_lines + 4
    assert billed == clean_billed + Decimal("18") + Decimal("3") - Decimal("5.5") - Decimal("1.5")
    assert_exact(database_url, lines, billed)

    with psycopg.connect(database_url) as conn:
        q = conn.execute("SELECT source, usage_date, reason, amount, raw FROM quarantine_rows ORDER BY raw").fetchall()
        facts = dict(conn.execute(
            "SELECT line_type, sum(amount_usd) FROM hourly_cost_facts WHERE line_type IN ('QUBIT_HOURS',"
            " 'KAFKA_HYPER_TIER') OR amount_usd < 0 GROUP BY 1").fetchall())
        negatives = conn.execute(
            "SELECT count(*), sum(b.amount), sum(f.s) FROM billing_costs b JOIN (SELECT line_no, sum(amount_usd) s"
            " FROM hourly_cost_facts GROUP BY 1) f USING (line_no)"
            " WHERE b.source_id IN ('dlz-fneg01', 'dlz-fneg02')").fetchone()
    assert [r[0] for r in q] == ["billing"] * 3 and {r[1] for r in q} == {DAY}
    by_id = {re.search(r'"id":"(dlz-f\w+)"', r[4]).group(1): r for r in q}
    assert sorted(by_id) == ["dlz-fbad01", "dlz-fbad02", "dlz-fbad03"]
    assert by_id["dlz-fbad01"][2].startswith("missing_amount") and by_id["dlz-fbad01"][3] is None
    assert by_id["dlz-fbad02"][2].startswith("invalid_start_date") and by_id["dlz-fbad02"][3] == Decimal("0.36")
    assert by_id["dlz-fbad03"][2].startswith("invalid_amount") and '"12,50"' in by_id["dlz-fbad03"][4]
    assert '"original_amount":36.0' in by_id["dlz-fbad01"][4]  # the raw payload, as received
    assert facts["QUBIT_HOURS"] == Decimal("18") and facts["KAFKA_HYPER_TIER"] == Decimal("3")
    assert negatives == (2, Decimal("-7"), Decimal("-7")), "credits are kept and allocated, negative"

    rid = run_id(proc.stdout)
    mats = materializations(env, rid)
    assert mats["billing_costs"]["quarantined_rows"] == 3
    checks = check_results(env, rid)
    assert checks["billing_costs:no_quarantined_rows"][0] is False
    assert checks["hourly_cost_facts:quarantined_rows"][0] is False
    assert checks["hourly_cost_facts:quarantined_rows"][1]["quarantined_rows"] == 3
    # numeric metadata (Dagster plots it): USD as a number
    assert Decimal(str(checks["hourly_cost_facts:quarantined_rows"][1]["quarantined_usd"])) == Decimal("0.36")
    assert checks["hourly_cost_facts:reconciliation"][0] is True

    with LiveServer(sidecar_app(database_url)) as srv:
        r = requests.get(f"{srv.url}/v1/reconciliation?start={DAY}&end={DAY}", timeout=30)
    assert r.status_code == 200, r.text
    (row,) = r.json()["data"]
    assert row["quarantined_rows"] == 3 and row["quarantined_usd"] == "0.36000000"
    assert Decimal(row["billed_usd"]) == billed + Decimal("0.36")
    assert Decimal(row["billed_usd"]) == Decimal(row["allocated_usd"]) + Decimal(row["quarantined_usd"])
    assert row["difference_usd"] == "0.00000000" and row["balanced"] is True


# --- restatement ------------------------------------------------------------------------------------------------
def test_restated_day_replaces_the_day_and_records_before_and_after(sim, env, database_url):
    materialize(env, DAY, NEXT)
    old = stored(database_url)
    sim.faults.add(f"restate:day={DAY.isoformat()},variant=1")
    new_lines, new_billed = reference_bill(sim.url)
    new_hashes = set(reference_batch(sim.url).lines["line_hash"])
    assert new_billed != old["bill"][1]
    proc = materialize(env, DAY, NEXT)
    assert_exact(database_url, new_lines, new_billed)
    with psycopg.connect(database_url) as conn:
        hashes = {r[0] for r in conn.execute("SELECT line_hash FROM billing_costs WHERE usage_date = %s", (DAY,))}
    assert hashes == new_hashes, "the restated bill replaces the day: no line of the old bill survives"
    mats = materializations(env, run_id(proc.stdout))
    (facts_restated,) = mats["hourly_cost_facts"]["restated_days"]
    assert facts_restated["day"] == DAY.isoformat()
    assert Decimal(facts_restated["before_usd"]) == old["facts"][1]
    assert Decimal(facts_restated["after_usd"]) == new_billed
    (bill_restated,) = mats["billing_costs"]["restated_days"]
    assert Decimal(bill_restated["before_usd"]) == old["bill"][1] and Decimal(bill_restated["after_usd"]) == new_billed
    status = dict((a, amount) for a, _, amount, _ in stored(database_url)["status"])
    assert status == {"billing_costs": new_billed, "hourly_cost_facts": new_billed}
    # Back to the original bill: the day is replaced again, to the cent.
    sim.faults.clear()
    materialize(env, DAY, NEXT)
    assert stored(database_url)["bill"] == old["bill"] and stored(database_url)["facts"][:2] == old["facts"][:2]


# --- the bill is published with its facts -------------------------------------------------------------------------
# A run that collects a restated bill and then fails (here: the Metrics API stays down) leaves the previous bill and
# facts published side by side, so /v1/reconciliation stays balanced at every moment; the next good run publishes
# the restated bill and its facts together.
def _reconciliation(url: str) -> dict:
    with LiveServer(sidecar_app(url)) as srv:
        r = requests.get(f"{srv.url}/v1/reconciliation?start={DAY}&end={DAY}", timeout=30)
    assert r.status_code == 200, r.text
    (row,) = r.json()["data"]
    return row


def _collected(url: str) -> tuple[int, Decimal]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*), COALESCE(sum(amount), 0) FROM billing_costs_collected"
                            " WHERE usage_date = %s", (DAY,)).fetchone()


def test_restated_bill_is_not_published_by_a_run_that_fails_before_allocating_it(sim, env, database_url):
    materialize(env, DAY, NEXT)
    before = stored(database_url)
    sim.faults.add(f"restate:day={DAY.isoformat()},variant=1")
    restated = reference_bill(sim.url)
    assert restated[1] != before["bill"][1]
    outage = sim.faults.add("5xx:count=*,path=/v2/metrics")
    # the day's usage was captured by the first run and is never queried again: forget that capture, so this run
    # must ask the (failing) Metrics API after collecting the bill and before allocating it
    with psycopg.connect(database_url) as conn:
        conn.execute("DELETE FROM usage_capture WHERE usage_date = %s", (DAY,))

    proc = materialize(env, DAY, NEXT, check=False)
    # a usage capture step fails (principal, topic or Flink statement usage: all read the failing Metrics API)
    assert proc.returncode != 0 and any(f"failed: {a}" in proc.stderr
                                        for a in ("principal_usage", "topic_usage", "flink_statement_usage")), \
        proc.stderr[-1500:]

    assert _collected(database_url) == restated, "the restated bill was collected"
    after = stored(database_url)
    # …but not published: the old bill, its quarantine and its facts stay together (the billing asset's own
    # partition status does record the collection).
    assert {k: after[k] for k in ("bill", "facts", "quarantine")} == {k: before[k] for k in ("bill", "facts",
                                                                                            "quarantine")}
    assert after["status"][1] == before["status"][1] and after["status"][1][0] == "hourly_cost_facts"
    row = _reconciliation(database_url)
    assert row["balanced"] is True and row["difference_usd"] == "0.00000000"
    assert Decimal(row["billed_usd"]) == before["bill"][1] + before["quarantine"][1]

    sim.faults.remove(outage)
    materialize(env, DAY, NEXT)
    assert_exact(database_url, *restated)
    assert _reconciliation(database_url)["balanced"] is True

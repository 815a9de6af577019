"""The bill is published with the facts allocated from it: a run that collects a restated bill and then fails
(here: the Metrics API stays down) leaves the previous bill and facts published side by side, so
/v1/reconciliation stays balanced (billed = allocated + quarantined) at every moment; the next good run publishes
the restated bill and its facts together."""

from __future__ import annotations

from decimal import Decimal

import psycopg
import pytest
import requests

from billing_portal.simulator.server import start_simulator
from billing_portal_tests.factories import LiveServer, sidecar_app
from billing_portal_tests.integration.test_faults_pipeline import (
    DAY,
    FAULT_ENV,
    NEXT,
    assert_exact,
    reference_bill,
    stored,
)
from billing_portal_tests.pipeline import materialize, simulator_env


@pytest.fixture
def sim():
    handle = start_simulator(seed=11, scale="small")
    yield handle
    handle.stop()


@pytest.fixture
def env(sim, database_url, tmp_path):
    return simulator_env(sim.url, database_url, tmp_path / "home", **FAULT_ENV)


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

    proc = materialize(env, DAY, NEXT, check=False)
    assert proc.returncode != 0 and "principal_usage" in proc.stderr

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

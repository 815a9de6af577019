"""Usage history from Prometheus: days the Metrics API no longer has are read from a real Prometheus (Debian
package) holding what a one-minute scrape of Confluent's export endpoint stored — here a TSDB backfilled with
`promtool tsdb create-blocks-from openmetrics` from the simulator's export — and the rows say which source they came
from. A wrong USAGE_PROMETHEUS_URL stops the run with one line."""

from __future__ import annotations

import datetime as dt
import subprocess
import time
from decimal import Decimal

import numpy as np
import psycopg
import pytest
import requests
from dagster import DagsterInstance

from billing_portal.simulator import build_model, start_simulator
from billing_portal.simulator.export import hourly_truth, openmetrics_history
from billing_portal.simulator.testing import CLOUD_AUTH, MovableClock
from billing_portal_tests.factories import require_binary
from billing_portal_tests.integration.test_prometheus_scrape import free_port
from billing_portal_tests.pipeline import materialize, simulator_env
from billing_portal_tests.walk import Deployment

MODEL = build_model(42, "small")
DAY = dt.date(2026, 10, 12)
NOW = dt.datetime(2026, 10, 28, 7, 0, tzinfo=dt.UTC)  # the day is long out of the Metrics API's 7 days


def midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


@pytest.fixture
def usage_prometheus(tmp_path):
    """A Prometheus whose TSDB holds DAY's one-minute export samples of two clusters."""
    prometheus, promtool = require_binary("prometheus"), require_binary("promtool")
    clusters = [c.id for c in MODEL.kafka_clusters if not c.idle][:2]
    om = tmp_path / "history.om"
    om.write_text(openmetrics_history(MODEL, clusters, midnight(DAY), midnight(DAY + dt.timedelta(days=1))))
    data = tmp_path / "tsdb"
    subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", str(om), str(data)], check=True,
                   capture_output=True, timeout=300)
    (tmp_path / "prometheus.yml").write_text("global: {}\n")
    port = free_port()
    log = open(tmp_path / "prometheus.log", "wb")
    proc = subprocess.Popen([prometheus, f"--config.file={tmp_path / 'prometheus.yml'}",
                             f"--storage.tsdb.path={data}", "--storage.tsdb.retention.time=100y",
                             f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(url + "/-/ready", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "prometheus.log").read_text()
        time.sleep(0.2)
    yield url, clusters
    proc.terminate()
    proc.wait(timeout=10)


def test_the_export_endpoint_answers_the_latest_minute_like_live():
    clock = MovableClock(midnight(DAY) + dt.timedelta(hours=10, minutes=30, seconds=12))
    cluster = next(c.id for c in MODEL.kafka_clusters if not c.idle)
    with start_simulator(clock=clock, model=MODEL) as sim:
        r = requests.get(sim.url + "/v2/metrics/cloud/export", params={"resource.kafka.id": cluster},
                         auth=CLOUD_AUTH, timeout=30)
        om = requests.get(sim.url + "/v2/metrics/cloud/export", params={"resource.kafka.id": cluster},
                          auth=CLOUD_AUTH, headers={"Accept": "application/openmetrics-text"}, timeout=30)
        bad = requests.get(sim.url + "/v2/metrics/cloud/export", auth=CLOUD_AUTH, timeout=30)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert om.headers["Content-Type"].startswith("application/openmetrics-text") and om.text.endswith("# EOF\n")
    assert bad.status_code == 400 and bad.json()["errors"][0]["status"] == "400"
    truth = hourly_truth(MODEL, cluster, DAY)
    lines = [ln for ln in r.text.splitlines() if ln.startswith("confluent_kafka_server_request_bytes{")]
    assert lines and all("# TYPE confluent_kafka_server_request_bytes gauge" in r.text for _ in [0])
    got = {ln.split('principal_id="')[1].split('"')[0]: float(ln.split()[1]) for ln in lines}
    want = {p: v[10, 0] / 60 for p, v in truth.items() if v[10, 0] > 0}
    assert got.keys() == want.keys() and all(abs(got[p] - want[p]) < 1e-6 for p in want)
    stamp = int(lines[0].split()[2])
    assert stamp == int((midnight(DAY) + dt.timedelta(hours=10, minutes=29)).timestamp() * 1000)


def test_days_without_captured_usage_are_split_by_the_prometheus_history(usage_prometheus, database_url):
    url, clusters = usage_prometheus
    clock = MovableClock(NOW)
    from billing_portal.resources import UsagePrometheusResource

    with start_simulator(clock=clock, model=MODEL) as sim, DagsterInstance.ephemeral() as instance:
        dep = Deployment(sim, clock, database_url, instance,
                         overrides={"usage_prometheus": UsagePrometheusResource(url=url)})
        dep.run("chargeback_job", first=DAY, last=DAY)
        metrics_calls = [p for _, p, _ in sim.requests if p.startswith("/v2/metrics/")]
    assert metrics_calls == [], "a day out of the retention is never asked of the Metrics API"
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT cluster_id, principal_id, extract(hour FROM hour)::int, allocation_reason, confidence,"
            " amount_usd FROM hourly_cost_facts WHERE line_type = 'KAFKA_NETWORK_WRITE'").fetchall()
        captures = dict(conn.execute("SELECT cluster_id, source FROM usage_capture WHERE usage_date = %s",
                                     (DAY,)).fetchall())
    assert captures == dict.fromkeys(clusters, "prometheus")
    by_cluster: dict[str, list] = {}
    for r in rows:
        by_cluster.setdefault(r[0], []).append(r)
    for cluster, rs in by_cluster.items():
        reasons = {(r[3], r[4]) for r in rs}
        if cluster in clusters:
            assert reasons == {("usage_from_prometheus", "medium")}, (cluster, reasons)
            truth = hourly_truth(MODEL, cluster, DAY)
            total = sum(v[:, 0].sum() for v in truth.values())
            amount = sum((r[5] for r in rs), Decimal(0))
            for principal, v in truth.items():
                got = sum((r[5] for r in rs if r[1] == principal), Decimal(0))
                assert abs(float(got) - float(amount) * v[:, 0].sum() / total) < 1e-6 * float(amount) + 1e-7
            hours = {r[2] for r in rs}
            assert hours == set(np.flatnonzero(sum(truth.values())[:, 0] > 0).tolist())
        else:
            assert {r for r, _ in reasons} == {"usage_expired_before_capture"} and ("", "high") not in {
                ("", c) for _, c in reasons}, (cluster, reasons)


def test_a_wrong_prometheus_url_is_one_clear_line(database_url, tmp_path):
    with start_simulator(clock=MovableClock(NOW), model=MODEL) as sim:
        env = simulator_env(sim.url, database_url, tmp_path / "home", BILLING_PORTAL_NOW=NOW.isoformat(),
                            USAGE_PROMETHEUS_URL=f"http://127.0.0.1:{free_port()}")
        proc = materialize(env, DAY, DAY + dt.timedelta(days=1), check=False)
        bad = dict(env, USAGE_PROMETHEUS_URL="prometheus:9090")
        proc2 = materialize(bad, DAY, DAY + dt.timedelta(days=1), check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "Traceback" not in out, out[-2000:]
    errors = [ln for ln in out.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "USAGE_PROMETHEUS_URL http://127.0.0.1:" in errors[0] and "cannot connect" in \
        errors[0], errors
    out2 = proc2.stdout + proc2.stderr
    assert proc2.returncode != 0 and "Traceback" not in out2
    assert [ln for ln in out2.splitlines() if ln.startswith("error:")] == [
        "error: invalid configuration: USAGE_PROMETHEUS_URL: must be an http(s) URL such as https://host[:port], "
        "got 'prometheus:9090'"], out2[-2000:]

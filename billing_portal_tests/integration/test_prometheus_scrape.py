"""A real Prometheus (Debian `prometheus`) with the repository's prometheus/prometheus.yml, pointed at a test
sidecar: each hour's cost is stored at that hour's own timestamp, days after the fact, and a restated day is
corrected in place (sum over revisions) without any sample being overwritten."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests
import yaml

from billing_portal_tests.factories import LiveServer, require_binary, sidecar_app, write_day

REPO = Path(__file__).resolve().parents[2]
TODAY = dt.datetime.now(dt.UTC).date()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def prometheus(tmp_path):
    """Start Prometheus on the repo's config with the sidecar target filled in by the test (`start(target)`)."""
    binary = require_binary("prometheus")
    procs = []

    def start(target: str) -> str:
        config = yaml.safe_load((REPO / "prometheus" / "prometheus.yml").read_text())
        assert config["storage"]["tsdb"]["out_of_order_time_window"]
        job = config["scrape_configs"][0]
        assert job["honor_timestamps"] is True
        job["static_configs"][0]["targets"] = [target]
        job["scrape_interval"] = "1s"
        job["scrape_timeout"] = "1s"
        (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
        port = free_port()
        log = open(tmp_path / "prometheus.log", "wb")
        procs.append(subprocess.Popen(
            [binary, f"--config.file={tmp_path / 'prometheus.yml'}", f"--storage.tsdb.path={tmp_path / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
            stdout=log, stderr=subprocess.STDOUT))
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(url + "/-/ready", timeout=1).status_code == 200:
                    return url
            except requests.RequestException:
                pass
            assert procs[-1].poll() is None, (tmp_path / "prometheus.log").read_text()
            time.sleep(0.2)
        raise AssertionError("prometheus did not become ready: " + (tmp_path / "prometheus.log").read_text())

    yield start
    for p in procs:
        p.terminate()
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()


def query(prom: str, promql: str, at: dt.datetime) -> dict[str, float]:
    r = requests.get(prom + "/api/v1/query", params={"query": promql, "time": at.timestamp()}, timeout=10)
    body = r.json()
    assert body["status"] == "success", body
    return {",".join(f"{k}={v}" for k, v in sorted(s["metric"].items())): float(s["value"][1])
            for s in body["data"]["result"]}


def wait_for(fn, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.5)
    raise AssertionError(f"condition not met in {timeout} s (last: {last})")


def test_prometheus_stores_each_hour_at_its_own_time(database_url, prometheus):
    d_old, d_new = TODAY - dt.timedelta(days=5), TODAY - dt.timedelta(days=3)
    old = write_day(database_url, d_old)
    with LiveServer(sidecar_app(database_url)) as srv:
        prom = prometheus(f"127.0.0.1:{srv.port}")
        h = dt.datetime.combine(d_old, dt.time(13), tzinfo=dt.UTC)  # a past hour, days older than the head block

        def total_at(hour):
            return query(prom, "sum(ccloud_cost_usd_hourly)", hour).get("")

        assert wait_for(lambda: total_at(h)) == pytest.approx(float(old.hourly[h]), rel=1e-12)
        # Every hour of the day holds its own figure, at its own timestamp …
        for hour, amount in old.hourly.items():
            assert total_at(hour) == pytest.approx(float(amount), rel=1e-12)
        by_cluster = query(prom, "sum(ccloud_cost_usd_hourly) by (cluster)", h)
        expected = old.facts[old.facts["hour"] == h].groupby(old.facts["cluster_id"].fillna(""))["amount_units"].sum()
        assert by_cluster == {(f"cluster={c}" if c else ""): pytest.approx(u / 1e8) for c, u in expected.items()}
        assert set(query(prom, "sum(ccloud_cost_usd_hourly) by (business_unit)", h)) == {
            "business_unit=commerce", "business_unit=platform", "business_unit=unknown"}
        # … and nothing at the scrape time: no hour was overwritten by the next one.
        assert query(prom, "ccloud_cost_usd_hourly", dt.datetime.now(dt.UTC)) == {}
        assert query(prom, "sum(ccloud_cost_usd_hourly)", h + dt.timedelta(minutes=30)) == {}

        # Two days later the bill of an even older day arrives, and the first day is restated (x2).
        d_late = TODAY - dt.timedelta(days=9)
        late = write_day(database_url, d_late, scale=3)
        restated = write_day(database_url, d_old, scale=2)
        newer = write_day(database_url, d_new)
        h_late = dt.datetime.combine(d_late, dt.time(7), tzinfo=dt.UTC)
        assert wait_for(lambda: total_at(h_late)) == pytest.approx(float(late.hourly[h_late]), rel=1e-12)
        assert wait_for(lambda: abs(total_at(h) - float(restated.hourly[h])) < 1e-9)
        h_new = dt.datetime.combine(d_new, dt.time(0), tzinfo=dt.UTC)
        assert wait_for(lambda: total_at(h_new)) == pytest.approx(float(newer.hourly[h_new]), rel=1e-12)
        corrections = query(prom, "count(ccloud_cost_usd_hourly{revision=\"1\"})", h)
        assert corrections.get("", 0) > 0
        # Daily totals from the hourly samples (Prometheus 2 ranges include both ends: end 1 s before midnight).
        end = dt.datetime.combine(d_old, dt.time(23, 59, 59), tzinfo=dt.UTC)
        day_total = query(prom, "sum(sum_over_time(ccloud_cost_usd_hourly[1d]))", end)[""]
        assert day_total == pytest.approx(float(restated.billed), rel=1e-9)

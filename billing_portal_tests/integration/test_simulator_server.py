"""The server itself: concurrency, large responses, isolation of slow requests, clean stop, the CLI."""

import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from click.testing import CliRunner

from billing_portal.simulator import start_simulator
from billing_portal.simulator.cli import simulate
from billing_portal.simulator.testing import CLOUD_AUTH, fixed_clock


def test_many_concurrent_requests():
    with start_simulator(port=0, clock=fixed_clock()) as sim:
        def hit(i):
            path = ["/org/v2/environments", "/iam/v2/service-accounts", "/iam/v2/api-keys?page_size=100"][i % 3]
            return requests.get(sim.url + path, auth=CLOUD_AUTH, timeout=30).status_code

        with ThreadPoolExecutor(48) as pool:
            statuses = list(pool.map(hit, range(300)))
        assert statuses == [200] * 300
        assert len(sim.requests) == 300


def test_multi_megabyte_response():
    with start_simulator(port=0, scale="medium", clock=fixed_clock()) as sim:
        r = requests.get(sim.url + "/billing/v1/costs", auth=CLOUD_AUTH, timeout=60,
                         params={"start_date": "2024-05-01", "end_date": "2024-06-01", "page_size": 10000})
        assert r.status_code == 200 and len(r.content) > 3_000_000
        assert len(r.json()["data"]) == min(10000, sum(len(sim.model.bill(d).rows) for d in _may()))


def _may():
    from datetime import date, timedelta
    return [date(2024, 5, 1) + timedelta(days=i) for i in range(31)]


def test_a_slow_request_does_not_block_others():
    with start_simulator(port=0, clock=fixed_clock(), faults=["slow:path=/billing,seconds=3"]) as sim:
        with ThreadPoolExecutor(2) as pool:
            slow = pool.submit(requests.get, sim.url + "/billing/v1/costs?start_date=2024-06-01&end_date=2024-06-02",
                               auth=CLOUD_AUTH, timeout=10)
            time.sleep(0.1)
            started = time.monotonic()
            fast = requests.get(sim.url + "/org/v2/environments", auth=CLOUD_AUTH, timeout=10)
            assert fast.ok and time.monotonic() - started < 1.0
            sim.stop()  # also wakes the sleeping request
            assert slow.result().status_code == 200


def test_stop_releases_the_port():
    sim = start_simulator(port=0)
    port = sim.port
    assert requests.get(sim.url + "/_simulator/health").ok
    sim.stop()
    sim.stop()  # idempotent
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))


def test_handle_exposes_ground_truth_and_config():
    with start_simulator(port=0, seed=9, scale="small", api_key="K", api_secret="S") as sim:
        assert sim.url == f"http://127.0.0.1:{sim.port}"
        assert sim.model.seed == 9 and sim.config.api_key == "K"
        assert requests.get(sim.url + "/org/v2/environments", auth=("K", "S")).ok
        assert requests.get(sim.url + "/org/v2/environments", auth=CLOUD_AUTH).status_code == 401
        assert "seed=9" in repr(sim)


def test_cli_help_documents_the_faults():
    result = CliRunner().invoke(simulate, ["--help"])
    assert result.exit_code == 0
    for word in ("--fault", "--billing-lag-hours", "--restricted-key", "duplicate-row", "token-expiry", "restate",
                 "reset", "truncate", "bad-json", "negative-amounts"):
        assert word in result.output


@pytest.mark.parametrize("args, message", [
    (["--port", "0", "--fault", "meteor"], "unknown fault kind"),
    (["--port", "0", "--restricted-key", "K:S"], "KEY:SECRET"),
    (["--port", "0", "--scale", "huge"], "huge"),
    (["--port", "0", "--public-url", "sim.local"], "public URL"),
])
def test_cli_rejects_bad_options(args, message):
    result = CliRunner().invoke(simulate, args)
    assert result.exit_code == 2 and message in result.output


def _ignore_sigint():
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize("started_as", ["foreground", "background job (SIGINT ignored)"])
def test_cli_serves_until_interrupted(started_as):
    """Ctrl-C stops the simulator, also when it was started by a non-interactive shell's background job, which
    inherits SIGINT ignored (as the whole suite does when run from a backgrounded shell)."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "billing_portal.cli", "simulate", "--port", "0", "--seed", "3",
                             "--fault", "5xx:path=/iam,count=1"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                            preexec_fn=_ignore_sigint if started_as != "foreground" else None)
    try:
        line = proc.stdout.readline()
        assert "listening on http://127.0.0.1:" in line, line
        url = line.split("listening on ")[1].split()[0]
        assert requests.get(url + "/iam/v2/users", auth=CLOUD_AUTH, timeout=10).status_code == 503
        assert requests.get(url + "/iam/v2/users", auth=CLOUD_AUTH, timeout=10).status_code == 200
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=15)
        assert proc.returncode == 0, out
        assert "simulator stopped" in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.slow
def test_large_scale_day_of_metrics_is_served_in_seconds():
    with start_simulator(port=0, scale="large", clock=fixed_clock(), metrics_retention_days=0, flavor="spec") as sim:
        ids = [c.id for c in sim.model.kafka_clusters]
        query = {"aggregations": [{"metric": "io.confluent.kafka.server/request_bytes"}],
                 "filter": {"op": "OR", "filters": [{"field": "resource.kafka.id", "op": "EQ", "value": i}
                                                    for i in ids]},
                 "group_by": ["resource.kafka.id", "metric.principal_id"], "granularity": "PT1H",
                 "intervals": ["2024-06-01T00:00:00Z/P1D"], "limit": 1000}
        started = time.monotonic()
        rows, token, session = 0, None, requests.Session()
        while True:
            url = sim.url + "/v2/metrics/cloud/query" + (f"?page_token={token}" if token else "")
            doc = session.post(url, json=query, auth=CLOUD_AUTH, timeout=60).json()
            rows += len(doc["data"])
            token = doc.get("meta", {}).get("pagination", {}).get("next_page_token")  # live: no meta on the last page
            if not token:
                break
        elapsed = time.monotonic() - started
        usage = sim.model.usage(__import__("datetime").date(2024, 6, 1))
        assert rows == int((usage.request_bytes > 0).sum())
        assert elapsed < 10, f"a day of large-scale metrics took {elapsed:.1f}s"

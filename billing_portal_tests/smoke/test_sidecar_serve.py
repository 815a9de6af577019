"""`billing-portal serve` (waitress) and gunicorn start the sidecar from the environment and answer on the demo
endpoints: a production WSGI server, never Flask's development server."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from billing_portal_tests.factories import write_day

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_server(args: list[str], env: dict, cwd: Path, url: str) -> subprocess.Popen:
    proc = subprocess.Popen(args, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(proc.stdout.read().decode()[-3000:])
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return proc
        except requests.RequestException:
            time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGKILL)
    raise AssertionError("server did not start")


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def check_endpoints(url: str) -> requests.Response:
    yesterday = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).date()
    ready = requests.get(url + "/readyz", timeout=10).json()
    assert ready["newest_complete_partition"] == yesterday.isoformat()
    costs = requests.get(url + f"/v1/costs?from_ts={yesterday}T00:00:00Z&to_ts={yesterday}T23:59:59Z&limit=10",
                         timeout=10)
    assert costs.status_code == 200 and costs.json()["count"] == 10
    assert requests.get(url + "/v1/dimensions?dimension_type=clusters", timeout=10).json()["count"] == 2
    assert "swagger-ui" in requests.get(url + "/docs", timeout=10).text
    assert requests.get(url + "/openapi.json", timeout=10).json()["info"]["title"] == "Confluent Billing Portal API"
    assert "ccloud_cost_usd_hourly" in requests.get(url + "/metrics", timeout=30).text
    return costs


@pytest.fixture
def env(database_url, tmp_path):
    write_day(database_url, (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).date())
    e = {k: v for k, v in os.environ.items() if not k.startswith(("CCLOUD_", "BILLING_PORTAL_", "DAGSTER_"))}
    e.update(DATABASE_URL=database_url, BILLING_PORTAL_HOME=str(tmp_path / "home"))
    return e


def test_billing_portal_serve_runs_waitress(env, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = run_server([str(BIN / "billing-portal"), "serve", "--port", str(port)], env, tmp_path, url)
    try:
        assert check_endpoints(url).headers["Server"] == "billing-portal"  # waitress' ident
    finally:
        stop(proc)


def test_gunicorn_factory(env, tmp_path):
    gunicorn = BIN / "gunicorn"
    if not gunicorn.exists() and not shutil.which("gunicorn"):
        pytest.skip("gunicorn is not installed (optional: waitress is the default server)")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = run_server([str(gunicorn), "--workers", "2", "--bind", f"127.0.0.1:{port}",
                       "billing_portal.sidecar.wsgi:create()"], env, tmp_path, url)
    try:
        assert "gunicorn" in check_endpoints(url).headers["Server"]
    finally:
        stop(proc)

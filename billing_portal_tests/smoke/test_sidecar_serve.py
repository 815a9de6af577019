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
import threading
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


class SilentServer:
    """A 'Dagster webserver' that accepts connections and never answers: the sidecar's GraphQL call hangs in it."""

    def __init__(self):
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                self.accepted.append(self._sock.accept()[0])
            except OSError:
                return

    def close(self) -> None:
        for conn in [*self.accepted, self._sock]:
            conn.close()


def _ignore_stop_signals() -> None:
    """What a parent leaves when it was a background job of a non-interactive shell (SIGINT ignored) and ran a Dagster
    job in process (Dagster maps SIGTERM to SIGINT's disposition): both ignored, and ignored signals survive exec."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


@pytest.mark.parametrize("parent", ["default-signals", "stop-signals-ignored"])
def test_sigterm_stops_serve_promptly_with_a_collect_request_in_flight(env, tmp_path, parent):
    """SIGTERM stops `billing-portal serve` within seconds, exit 0 and no traceback, while a collect request hangs on
    a Dagster webserver that never answers, whatever signal dispositions the parent left (CI once saw the sidecar
    outlive SIGTERM by 30 s: it had inherited SIGTERM ignored from the test process)."""
    dagster = SilentServer()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = env | {"BILLING_PORTAL_API_TOKEN": "serve-sigterm-token", "DAGSTER_GRAPHQL_URL": dagster.url}
    args = [str(BIN / "billing-portal"), "serve", "--port", str(port)]
    out = tmp_path / "serve.out"
    with open(out, "wb") as log:
        proc = subprocess.Popen(args, env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT,
                                preexec_fn=_ignore_stop_signals if parent == "stop-signals-ignored" else None)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, out.read_text()[-3000:]
            try:
                if requests.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.3)
        answers: list = []
        collect = threading.Thread(target=lambda: answers.append(_post_collect(url)), daemon=True)
        collect.start()
        deadline = time.monotonic() + 10
        while not dagster.accepted:  # the sidecar's call to Dagster is now hanging
            assert time.monotonic() < deadline, "the collect request never reached the Dagster stand-in"
            time.sleep(0.05)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"serve ignored SIGTERM for 10 s:\n{out.read_text()[-3000:]}") from None
        took = time.monotonic() - started
        text = out.read_text()
        assert code == 0, text[-3000:]
        assert took < 8, took
        assert "Traceback" not in text, text[-3000:]
        assert "sidecar stopped" in text
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        dagster.close()


def _post_collect(url: str):
    try:
        return requests.post(url + "/api/v1/collect/billing", timeout=60,
                             headers={"Authorization": "Bearer serve-sigterm-token"}).status_code
    except requests.RequestException as exc:
        return type(exc).__name__

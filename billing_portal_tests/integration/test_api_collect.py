"""The collect API: bearer-token enforcement (403 disabled / 401 missing or wrong, constant-time compare, never
echoed), parameter checks, Dagster unreachable → 503, and real runs launched on a real dagster-webserver."""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
import requests

from billing_portal_tests.factories import LiveServer, sidecar_app

TOKEN = "collect-token-7f3a9c"
YESTERDAY = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
START = (YESTERDAY - dt.timedelta(days=20)).isoformat()
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RecordingLauncher:
    def __init__(self):
        self.launched = []

    def launch(self, job_name, start, end, extra_tags=None):
        self.launched.append((job_name, start, end))
        return f"0a1b2c3d-0000-4000-8000-{len(self.launched):012d}"

    def status(self, run_id):
        return "STARTED"


def test_disabled_without_a_configured_token(database_url):
    with LiveServer(sidecar_app(database_url)) as srv:
        r = requests.post(srv.url + "/api/v1/collect/billing", headers=AUTH, timeout=10)
        assert r.status_code == 403
        err = r.json()["error"]
        assert err["code"] == "collect_disabled" and "BILLING_PORTAL_API_TOKEN" in err["message"]


def test_token_is_required_and_never_echoed(database_url, caplog):
    caplog.set_level(logging.DEBUG)
    app = sidecar_app(database_url, BILLING_PORTAL_API_TOKEN=TOKEN, BILLING_START_DATE=START,
                      DAGSTER_GRAPHQL_URL=f"http://127.0.0.1:{free_port()}")
    with LiveServer(app) as srv:
        for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": f"Bearer {TOKEN}x"},
                        {"Authorization": f"Basic {TOKEN}"}, {"Authorization": TOKEN},
                        {"Authorization": "Bearer " + TOKEN[:-1]}):
            for path in ("/api/v1/collect/billing", "/api/v1/collect/full"):
                r = requests.post(srv.url + path + "?start=garbage", headers=headers, timeout=10)
                assert r.status_code == 401, (headers, r.text)
                assert r.headers["WWW-Authenticate"].startswith("Bearer")
                assert r.json()["error"]["code"] == "unauthorized" and TOKEN not in r.text
            r = requests.get(srv.url + "/api/v1/collect/runs/0a1b2c3d-0000-4000-8000-000000000001", headers=headers,
                             timeout=10)
            assert r.status_code == 401
        # Authenticated: parameters are checked, then Dagster (down here) → 503.
        r = requests.post(srv.url + "/api/v1/collect/billing?start=garbage", headers=AUTH, timeout=10)
        assert r.status_code == 400 and r.json()["error"]["parameter"] == "start"
        r = requests.post(srv.url + f"/api/v1/collect/billing?end={YESTERDAY + dt.timedelta(days=1)}",
                          headers=AUTH, timeout=10)
        assert r.status_code == 400 and r.json()["error"]["parameter"] == "end"
        r = requests.post(srv.url + "/api/v1/collect/billing?start=2020-01-01", headers=AUTH, timeout=10)
        assert r.status_code == 400 and "BILLING_START_DATE" in r.json()["error"]["message"]
        r = requests.post(srv.url + "/api/v1/collect/billing", headers=AUTH, timeout=30)
        assert r.status_code == 503 and r.json()["error"]["code"] == "dagster_unavailable"
        r = requests.get(srv.url + "/api/v1/collect/runs/not-a-run-id", headers=AUTH, timeout=10)
        assert r.status_code == 400 and r.json()["error"]["parameter"] == "run_id"
    assert TOKEN not in caplog.text


def test_each_collection_launches_its_job(database_url):
    app = sidecar_app(database_url, BILLING_PORTAL_API_TOKEN=TOKEN, BILLING_START_DATE=START)
    launcher = app.extensions["dagster"] = RecordingLauncher()
    with LiveServer(app) as srv:
        for path in ("billing", "core-objects", "catalog-tags", "full"):
            r = requests.post(srv.url + f"/api/v1/collect/{path}", headers=AUTH, timeout=10)
            assert r.status_code == 202, r.text
            run = r.json()["runs"][0]
            assert run["start"] == run["end"] == YESTERDAY.isoformat()
            assert run["status_url"] == f"/api/v1/collect/runs/{run['run_id']}"
        r = requests.post(srv.url + f"/api/v1/collect/billing?start={START}&end={YESTERDAY}", headers=AUTH, timeout=10)
        assert r.json()["runs"][0]["start"] == START
        status = requests.get(srv.url + r.json()["runs"][0]["status_url"], headers=AUTH, timeout=10).json()
        assert status["status"] == "STARTED" and status["finished"] is False
    assert [j for j, _, _ in launcher.launched] == ["collect_billing_job", "collect_core_objects_job",
                                                    "collect_catalog_tags_job", "chargeback_job",
                                                    "collect_billing_job"]


@pytest.fixture
def dagster_webserver(database_url, tmp_path):
    """A real dagster-webserver on the project's definitions (temporary DAGSTER_HOME, Confluent unreachable)."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    # The default coordinator launches at once (the queued one, used by `make demo`, needs dagster-daemon).
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\nrun_coordinator:\n"
                                       "  module: dagster._core.run_coordinator\n  class: DefaultRunCoordinator\n")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CCLOUD_", "SCHEMA_REGISTRY_", "BILLING_PORTAL_"))}
    env.update(DAGSTER_HOME=str(home), DATABASE_URL=database_url, BILLING_START_DATE=START,
               BILLING_PORTAL_HOME=str(tmp_path / "bp_home"), CCLOUD_API_KEY="dead", CCLOUD_API_SECRET="dead",
               CCLOUD_API_URL="http://127.0.0.1:9", CCLOUD_TELEMETRY_URL="http://127.0.0.1:9")
    exe = Path(sys.executable).parent / "dagster-webserver"
    log = open(tmp_path / "webserver.log", "wb")
    proc = subprocess.Popen([str(exe), "-m", "billing_portal.definitions", "-h", "127.0.0.1", "-p", str(port)],
                            cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, (tmp_path / "webserver.log").read_text()[-3000:]
        try:
            if requests.get(url + "/server_info", timeout=2).status_code == 200:
                break
        except requests.RequestException:
            pass
        time.sleep(0.5)
    else:
        raise AssertionError("dagster-webserver did not start: " + (tmp_path / "webserver.log").read_text()[-3000:])
    yield url, home
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


@pytest.mark.slow
def test_launches_real_dagster_runs(database_url, dagster_webserver):
    url, home = dagster_webserver
    app = sidecar_app(database_url, BILLING_PORTAL_API_TOKEN=TOKEN, BILLING_START_DATE=START, DAGSTER_GRAPHQL_URL=url)
    first = YESTERDAY - dt.timedelta(days=1)
    with LiveServer(app) as srv:
        # Catalog tags without Schema Registry settings: a real run that writes an empty snapshot per day.
        r = requests.post(srv.url + f"/api/v1/collect/catalog-tags?start={first}&end={YESTERDAY}", headers=AUTH,
                          timeout=60)
        assert r.status_code == 202, r.text
        run = r.json()["runs"][0]
        assert run["job_name"] == "collect_catalog_tags_job"
        deadline, status = time.monotonic() + 120, None
        while time.monotonic() < deadline:
            status = requests.get(srv.url + run["status_url"], headers=AUTH, timeout=30).json()
            if status["finished"]:
                break
            time.sleep(1)
        assert status["finished"] and status["status"] == "SUCCESS", status
        r = requests.get(srv.url + "/api/v1/collect/runs/00000000-0000-4000-8000-000000000000", headers=AUTH,
                         timeout=30)
        assert r.status_code == 404 and r.json()["error"]["code"] == "run_not_found"
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT usage_date, run_id FROM partition_status WHERE asset_name = 'catalog_tags'"
                            " ORDER BY usage_date").fetchall()
    assert rows == [(first, run["run_id"]), (YESTERDAY, run["run_id"])]  # one run for the whole range

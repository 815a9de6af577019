"""Secrets never leak (issue 7): the demo path as real processes — a simulator accepting recognisable fake keys,
`billing-portal -v materialize` (debug logging, with retried faults and a rejected key on the way), the sidecar
(`billing-portal serve`) — then every trace they leave is searched for the keys: stdout/stderr and log files,
every byte under BILLING_PORTAL_HOME and DAGSTER_HOME (the Dagster SQLite run/event storage included), each Dagster
event and run record deserialised, every API response (read API, errors, collect API with a wrong and the right
bearer token, OpenAPI) and /metrics.
"""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from billing_portal_tests.pipeline import BIN, run_cli, simulator_env

pytestmark = pytest.mark.timeout(600)

CANARIES = {
    "CCLOUD_API_KEY": "FAKEKEY7Q2XCANARY",
    "CCLOUD_API_SECRET": "FAKESECRET9Z8YCANARY",
    "SCHEMA_REGISTRY_API_KEY": "FAKESRKEY4K4KCANARY",
    "SCHEMA_REGISTRY_API_SECRET": "FAKESRSECRET1P1PCANARY",
    "BILLING_PORTAL_API_TOKEN": "FAKETOKEN5511CANARY",
    "DATABASE_PASSWORD": "FAKEDBPASS3131CANARY",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _leaks(text: str | bytes) -> list[str]:
    data = text.encode("utf-8", "replace") if isinstance(text, str) else text
    found = []
    for name, value in CANARIES.items():
        for variant in (value, value.lower(), value[:12]):
            if variant.encode() in data:
                found.append(name)
                break
    import base64

    basic = base64.b64encode(f"{CANARIES['CCLOUD_API_KEY']}:{CANARIES['CCLOUD_API_SECRET']}".encode())
    if basic in data:
        found.append("Basic auth header")
    return found


def _wait(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=5)
            return
        except requests.RequestException:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer")


def test_fake_keys_appear_in_no_log_event_response_or_metric(database_url, tmp_path):
    home = tmp_path / "home"
    logs = home / "logs"
    logs.mkdir(parents=True)
    sim_port, api_port = _free_port(), _free_port()
    sim_url = f"http://127.0.0.1:{sim_port}"
    # A password in the URL (trust authentication ignores it; it must still never be printed).
    db_url = database_url.replace("postgresql://postgres@", f"postgresql://postgres:{CANARIES['DATABASE_PASSWORD']}@")
    env = simulator_env(sim_url, db_url, home, **{k: v for k, v in CANARIES.items() if k != "DATABASE_PASSWORD"},
                        CCLOUD_HTTP_MAX_ATTEMPTS="4", CCLOUD_HTTP_RETRY_BUDGET_SECONDS="10")
    outputs: list[str] = []
    procs = []
    try:
        with open(tmp_path / "simulator.log", "wb") as sim_log:  # Confluent's side, not a product log
            sim = subprocess.Popen(
                [str(BIN), "-v", "simulate", "--port", str(sim_port), "--scale", "small", "--api-key",
                 CANARIES["CCLOUD_API_KEY"], "--api-secret", CANARIES["CCLOUD_API_SECRET"], "--sr-api-key",
                 CANARIES["SCHEMA_REGISTRY_API_KEY"], "--sr-api-secret", CANARIES["SCHEMA_REGISTRY_API_SECRET"],
                 "--fault", "429:count=2,path=/billing", "--fault", "5xx:count=2,path=/v2/metrics",
                 "--fault", "reset:count=1,path=/org"],
                env=env, cwd=home, stdout=sim_log, stderr=subprocess.STDOUT)
            procs.append(sim)
            _wait(f"{sim_url}/_simulator/faults")
            today = dt.datetime.now(dt.UTC).date()
            days = ["--start", (today - dt.timedelta(days=3)).isoformat(), "--end",
                    (today - dt.timedelta(days=1)).isoformat()]
            ok = run_cli(["-v", "materialize", *days], env)
            outputs += [ok.stdout, ok.stderr]
            assert "retry" in ok.stderr, "the retried faults must have been logged"
            # A rejected key and a failed run: the error path must not print the secret either.
            bad = run_cli(["-v", "materialize", *days], env | {"CCLOUD_API_SECRET": CANARIES["CCLOUD_API_SECRET"][::-1]},
                          check=False)
            assert bad.returncode != 0 and "401" in bad.stderr
            outputs += [bad.stdout, bad.stderr]

            with open(logs / "sidecar.log", "wb") as api_log:
                api = subprocess.Popen([str(BIN), "-v", "serve", "--host", "127.0.0.1", "--port", str(api_port)],
                                       env=env, cwd=home, stdout=api_log, stderr=subprocess.STDOUT)
                procs.append(api)
                base = f"http://127.0.0.1:{api_port}"
                _wait(f"{base}/healthz")
                lo, hi = f"{today - dt.timedelta(days=3)}T00:00:00Z", f"{today}T00:00:00Z"
                bodies = []
                for path in ["/healthz", "/readyz", "/openapi.json", "/docs", "/metrics", "/metrics",
                             f"/v1/costs?from_ts={lo}&to_ts={hi}&limit=50",
                             f"/v1/costs/summary?from_ts={lo}&to_ts={hi}&group_by=team",
                             "/v1/dimensions?dimension_type=principals", "/v1/confidence", "/v1/reconciliation",
                             "/v1/forecast", f"/v1/export/focus?from_ts={lo}&to_ts={today - dt.timedelta(days=2)}"
                             "T01:00:00Z", "/v1/costs?from_ts=bad", "/nope"]:
                    r = requests.get(base + path, timeout=120)
                    assert r.status_code < 500, (path, r.status_code, r.text[:300])
                    bodies.append(f"{path} {r.status_code} {dict(r.headers)} {r.text}")
                for token in (None, "wrong-token", CANARIES["BILLING_PORTAL_API_TOKEN"]):
                    headers = {"Authorization": f"Bearer {token}"} if token else {}
                    r = requests.post(f"{base}/api/v1/collect/billing", headers=headers, timeout=60)
                    assert r.status_code in (401, 503) if token != CANARIES["BILLING_PORTAL_API_TOKEN"] else \
                        r.status_code in (202, 502, 503), r.text
                    bodies.append(f"collect {r.status_code} {dict(r.headers)} {r.text}")
                api.terminate()
                api.wait(timeout=30)
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                p.wait(timeout=30)

    assert any("ccloud_cost_usd_hourly" in b for b in bodies), "the metrics must have been served"
    assert [(i, _leaks(o)) for i, o in enumerate(outputs) if _leaks(o)] == []
    assert [(b[:80], _leaks(b)) for b in bodies if _leaks(b)] == []

    # Every byte left on disk: log files, the Dagster instance (SQLite run and event storage), compute logs.
    leaked_files = {str(p.relative_to(home)): _leaks(p.read_bytes()) for p in home.rglob("*") if p.is_file()}
    assert {k: v for k, v in leaked_files.items() if v} == {}
    assert any(name.endswith(".db") for name in leaked_files), "the Dagster storage must have been searched"
    assert (logs / "sidecar.log").stat().st_size > 0

    # And each Dagster event and run record as Dagster itself would render it.
    from dagster import serialize_value

    from billing_portal_tests.pipeline import dagster_instance

    with dagster_instance(env["DAGSTER_HOME"]) as instance:
        runs = instance.get_runs()
        assert len(runs) == 2
        events = 0
        for run in runs:
            assert _leaks(serialize_value(run)) == [], run.run_id
            for record in instance.all_logs(run.run_id):
                events += 1
                assert _leaks(serialize_value(record)) == [], record.message
        assert events > 50


def test_the_canaries_are_detectable():
    """The search itself works: a leak of any of the keys, lower-cased, truncated or in a Basic header, is found."""
    import base64

    assert _leaks(f"key={CANARIES['CCLOUD_API_SECRET'].lower()}") == ["CCLOUD_API_SECRET"]
    assert _leaks(f"postgresql://u:{CANARIES['DATABASE_PASSWORD'][:12]}@h/db") == ["DATABASE_PASSWORD"]
    header = base64.b64encode(f"{CANARIES['CCLOUD_API_KEY']}:{CANARIES['CCLOUD_API_SECRET']}".encode()).decode()
    assert _leaks(f"Authorization: Basic {header}") == ["Basic auth header"]
    assert Path(__file__).read_text().count("CANARY") >= len(CANARIES)

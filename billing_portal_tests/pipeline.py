"""Running the real product pipeline from tests: `billing-portal materialize` in a subprocess (the same entry point
an operator uses, with its own Dagster instance) against a simulator, into a given database."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from billing_portal.simulator.server import start_simulator

BIN = Path(sys.executable).parent / "billing-portal"


def simulator_env(sim_url: str, database_url: str, home: Path, **extra: str) -> dict[str, str]:
    """The environment of a product process pointed at the simulator `sim_url` and the warehouse `database_url`."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CCLOUD_", "SCHEMA_REGISTRY_", "BILLING_", "FLINK_"))}
    env.update(
        DATABASE_URL=database_url, BILLING_PORTAL_HOME=str(home), DAGSTER_HOME=str(home / "dagster"),
        CCLOUD_API_KEY="SIMKEY", CCLOUD_API_SECRET="SIMSECRET", CCLOUD_API_URL=sim_url, CCLOUD_TELEMETRY_URL=sim_url,
        SCHEMA_REGISTRY_URL=sim_url, SCHEMA_REGISTRY_API_KEY="SIMSRKEY", SCHEMA_REGISTRY_API_SECRET="SIMSRSECRET",
        BILLING_START_DATE="2025-01-01",
    )
    (home / "dagster").mkdir(parents=True, exist_ok=True)
    creds = simulator_registry_keys(sim_url)
    if creds:
        # every environment's registry with its own key, as on a real org (the single URL/key would serve one)
        path = home / "schema-registry-keys.yaml"
        path.write_text(yaml.safe_dump(creds))
        for k in ("SCHEMA_REGISTRY_URL", "SCHEMA_REGISTRY_API_KEY", "SCHEMA_REGISTRY_API_SECRET"):
            env.pop(k)
        env["SCHEMA_REGISTRY_CREDENTIALS_FILE"] = str(path)
    flink = simulator_flink_keys(sim_url)
    if flink:
        # the regional Flink API (its own host per region, a region-scoped key), at the simulator's /flink/…
        path = home / "flink-keys.yaml"
        path.write_text(yaml.safe_dump(flink))
        env["FLINK_CREDENTIALS_FILE"] = str(path)
        env["FLINK_ENDPOINT_TEMPLATE"] = sim_url.rstrip("/") + "/flink/{cloud}/{region}"
    env.update(extra)
    return env


def simulator_flink_keys(sim_url: str) -> dict:
    """FLINK_CREDENTIALS_FILE content for a simulator (each region's Flink key), {} for another server."""
    import requests

    from billing_portal.simulator.testing import CLOUD_AUTH, flink_credentials

    try:
        if requests.get(sim_url + "/_simulator/health", timeout=5).status_code != 200:
            return {}
        envs = requests.get(sim_url + "/org/v2/environments", params={"page_size": 99}, auth=CLOUD_AUTH,
                            timeout=10).json()["data"]
        out = {}
        for e in envs:
            for p in requests.get(sim_url + "/fcpm/v2/compute-pools", params={"environment": e["id"]},
                                  auth=CLOUD_AUTH, timeout=10).json()["data"]:
                key, secret = flink_credentials(p["spec"]["cloud"], p["spec"]["region"])
                out[f"{p['spec']['cloud'].lower()}.{p['spec']['region']}"] = {"api_key": key, "api_secret": secret}
        return out
    except (requests.RequestException, KeyError, ValueError):
        return {}


def simulator_registry_keys(sim_url: str) -> dict:
    """SCHEMA_REGISTRY_CREDENTIALS_FILE content for a simulator (each registry's key), {} for another server."""
    import requests

    from billing_portal.simulator.testing import CLOUD_AUTH, sr_credentials

    try:
        health = requests.get(sim_url + "/_simulator/health", timeout=5)
        if health.status_code != 200:
            return {}
        envs = requests.get(sim_url + "/org/v2/environments", params={"page_size": 99}, auth=CLOUD_AUTH,
                            timeout=10).json()["data"]
        out = {}
        for e in envs:
            for sr in requests.get(sim_url + "/srcm/v3/clusters", params={"environment": e["id"]}, auth=CLOUD_AUTH,
                                   timeout=10).json()["data"]:
                key, secret = sr_credentials(sr["id"])
                out[sr["id"]] = {"api_key": key, "api_secret": secret}
        return out
    except (requests.RequestException, KeyError, ValueError):
        return {}


def run_cli(args: list[str], env: dict[str, str], timeout: float = 600, cwd: Path | None = None,
            check: bool = True) -> subprocess.CompletedProcess:
    """`billing-portal ARGS` with `env` in an empty working directory (no stray .env is read)."""
    cwd = cwd or Path(env["BILLING_PORTAL_HOME"])
    cwd.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([str(BIN), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"billing-portal {' '.join(args)} exited {proc.returncode}\n"
                             f"--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-4000:]}")
    return proc


def materialize(env: dict[str, str], start: dt.date, end: dt.date, job: str = "full",
                check: bool = True) -> subprocess.CompletedProcess:
    """Materialize [start, end) as one run through Dagster."""
    return run_cli(["materialize", "--start", start.isoformat(), "--end", end.isoformat(), "--job", job], env,
                   check=check)


@dataclass
class SimulatedWarehouse:
    """A warehouse populated by the pipeline from a simulated organization: days [start, end)."""

    database_url: str
    simulator_url: str
    start: dt.date
    end: dt.date
    env: dict[str, str]

    @property
    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range((self.end - self.start).days)]


def newest_billed_day(today: dt.date | None = None) -> dt.date:
    """The newest day a live-flavoured simulator on the wall clock has both published the bill of (72 h after the
    day ends) and still answers metrics for (7 days): today − 4."""
    return (today or dt.datetime.now(dt.UTC).date()) - dt.timedelta(days=4)


def populate(database_url: str, home: Path, *, days: int = 6, scale: str = "small", seed: int = 42,
             end: dt.date | None = None):
    """Context manager: a simulator (kept running) and `days` days before `end` (default: today − 3, so the last day
    is the newest one whose bill is published) materialized into the DB the way a deployment gets them: the whole
    graph the night after the last day (objects observed, usage captured while the Metrics API has it — so at most
    6 days — and the bills already published), then the restatement job once the last bill is published, 72 h
    later. Both clocks — the simulator's and the pipeline's (BILLING_PORTAL_NOW) — are moved for it; the simulator
    stays at the second instant."""
    from contextlib import contextmanager

    from billing_portal.simulator.testing import MovableClock

    @contextmanager
    def _cm():
        last = end or newest_billed_day() + dt.timedelta(days=1)
        first = last - dt.timedelta(days=days)
        capture_at = dt.datetime.combine(last, dt.time(0, 20), tzinfo=dt.UTC)
        billed_at = dt.datetime.combine(last + dt.timedelta(days=3), dt.time(1, 0), tzinfo=dt.UTC)
        clock = MovableClock(capture_at)
        sim = start_simulator(seed=seed, scale=scale, clock=clock)
        try:
            env = simulator_env(sim.url, database_url, home, BILLING_PORTAL_NOW=capture_at.isoformat())
            materialize(env, first, last)
            clock.set(billed_at)
            env["BILLING_PORTAL_NOW"] = billed_at.isoformat()
            materialize(env, first, last, job="restatement")
            yield SimulatedWarehouse(database_url, sim.url, first, last, env)
        finally:
            sim.stop()

    return _cm()


@contextlib.contextmanager
def dagster_instance(dagster_home: str | Path):
    """The Dagster instance of a product process's DAGSTER_HOME, through Dagster's public API (DagsterInstance.get
    reads DAGSTER_HOME)."""
    from dagster import DagsterInstance

    before = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    try:
        with DagsterInstance.get() as instance:
            yield instance
    finally:
        if before is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = before

"""Running the real product pipeline from tests: `billing-portal materialize` in a subprocess (the same entry point
an operator uses, with its own Dagster instance) against a simulator, into a given database."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from billing_portal.simulator.server import start_simulator

BIN = Path(sys.executable).parent / "billing-portal"


def simulator_env(sim_url: str, database_url: str, home: Path, **extra: str) -> dict[str, str]:
    """The environment of a product process pointed at the simulator `sim_url` and the warehouse `database_url`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CCLOUD_", "SCHEMA_REGISTRY_", "BILLING_"))}
    env.update(
        DATABASE_URL=database_url, BILLING_PORTAL_HOME=str(home), DAGSTER_HOME=str(home / "dagster"),
        CCLOUD_API_KEY="SIMKEY", CCLOUD_API_SECRET="SIMSECRET", CCLOUD_API_URL=sim_url, CCLOUD_TELEMETRY_URL=sim_url,
        SCHEMA_REGISTRY_URL=sim_url, SCHEMA_REGISTRY_API_KEY="SIMSRKEY", SCHEMA_REGISTRY_API_SECRET="SIMSRSECRET",
        BILLING_START_DATE="2025-01-01",
    )
    env.update(extra)
    (home / "dagster").mkdir(parents=True, exist_ok=True)
    return env


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


def populate(database_url: str, home: Path, *, days: int = 7, scale: str = "small", seed: int = 42,
             end: dt.date | None = None):
    """Context manager: a simulator (kept running) and `days` days ending yesterday materialized into the DB."""
    from contextlib import contextmanager  # noqa: PLC0415

    @contextmanager
    def _cm():
        sim = start_simulator(seed=seed, scale=scale)
        try:
            last = end or dt.datetime.now(dt.UTC).date()
            first = last - dt.timedelta(days=days)
            env = simulator_env(sim.url, database_url, home)
            materialize(env, first, last)
            yield SimulatedWarehouse(database_url, sim.url, first, last, env)
        finally:
            sim.stop()

    return _cm()

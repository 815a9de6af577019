"""`billing-portal demo`: the whole product on one machine, from one command.

Starts the embedded PostgreSQL, the Confluent Cloud simulator (live behaviour: bills 72 h late, metrics kept 7 days),
replays what the daemon would have done had the portal run daily over the last N days (objects observed, usage
captured while the Metrics API had it, with the simulator's clock moved), materializes the N days through Dagster,
with the Dagster webserver started first (the runs can be watched as they run), then runs the daemon and the sidecar
until Ctrl-C, which stops everything the demo started, the embedded PostgreSQL included. The newest three days have no
bill yet (72 h), as on a real org. Everything listens on 127.0.0.1 unless `--host` says otherwise.
`--no-simulate` uses the configured Confluent Cloud credentials instead (`make dev`).
"""

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

import click

from billing_portal.config import get_settings, load_dotenv_file
from billing_portal.errors import BillingPortalError
from billing_portal.localnet import wait_http
from billing_portal.signals import stop_on_signals

SIM_KEY, SIM_SECRET = "SIMKEY", "SIMSECRET"
SIM_SR_KEY, SIM_SR_SECRET = "SIMSRKEY", "SIMSRSECRET"
CAPTURE_CHUNK_DAYS = 6


def _registry_keys(home: Path, seed: int, scale: str) -> Path:
    """The simulated org's Schema Registry keys (one per environment, as live) as a credentials file."""
    import yaml

    from billing_portal.simulator import build_model
    from billing_portal.simulator.testing import sr_credentials_file

    home.mkdir(parents=True, exist_ok=True)
    path = home / "simulator-schema-registry-keys.yaml"
    path.write_text(yaml.safe_dump(sr_credentials_file(build_model(seed, scale), SIM_SR_KEY, SIM_SR_SECRET)))
    return path


def _flink_keys(home: Path, seed: int, scale: str) -> Path:
    """The simulated org's Flink API keys (one per region with a compute pool, as live) as a credentials file."""
    import yaml

    from billing_portal.simulator import build_model
    from billing_portal.simulator.testing import flink_credentials_file

    home.mkdir(parents=True, exist_ok=True)
    path = home / "simulator-flink-keys.yaml"
    path.write_text(yaml.safe_dump(flink_credentials_file(build_model(seed, scale), SIM_KEY, SIM_SECRET)))
    return path


def _port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
            return True
        except OSError:
            return False


def _bin(name: str) -> str:
    here = Path(sys.executable).parent / name
    return str(here) if here.exists() else (shutil.which(name) or name)


def capture_chunks(start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date, dt.datetime]]:
    """The demo's days [start, end) in chunks of at most 6, each with the instant just after its last day ended: the
    Metrics API (7 days) still has the whole chunk then."""
    out, a = [], start
    while a < end:
        b = min(a + dt.timedelta(days=CAPTURE_CHUNK_DAYS), end)
        out.append((a, b, dt.datetime.combine(b, dt.time(0, 20), tzinfo=dt.UTC)))
        a = b
    return out


def warm_up(chunks, sim_url: str, env: dict, observe: bool = True, echo=click.echo) -> None:
    """What the daemon would have done had the portal run daily over the demo's days (a live org keeps metrics 7
    days only): move the simulator's clock to the end of each chunk, observe the objects the first time (unless
    `observe` is false: they were observed already), capture the chunk's usage; then give the simulator back the
    wall clock."""
    import requests

    def at(t: dt.datetime) -> None:
        requests.put(f"{sim_url}/_simulator/clock", json={"now": t.isoformat()}, timeout=10).raise_for_status()

    for i, (a, b, t) in enumerate(chunks):
        at(t)
        run_env = dict(env, BILLING_PORTAL_NOW=t.isoformat())
        jobs = ["core-objects", "usage"] if i == 0 and observe else ["usage"]
        for job in jobs:
            echo(f"demo: as on {t:%Y-%m-%d %H:%M} UTC, {job} for {a} … {b - dt.timedelta(days=1)}")
            proc = subprocess.run([_bin("billing-portal"), "materialize", "--start", a.isoformat(),
                                   "--end", b.isoformat(), "--job", job], env=run_env, capture_output=True,
                                  text=True, check=False)
            if proc.returncode != 0:
                raise BillingPortalError(f"demo warm-up ({job} for {a} … {b}) failed: "
                                         + (proc.stdout + proc.stderr).strip().splitlines()[-1])
    requests.put(f"{sim_url}/_simulator/clock", json={"wall": True}, timeout=10).raise_for_status()


class Children:
    """Child processes started by the demo, stopped in reverse order on exit."""

    def __init__(self, log_dir: Path):
        self.procs: list[tuple[str, subprocess.Popen]] = []
        self.log_dir = log_dir
        log_dir.mkdir(parents=True, exist_ok=True)

    def start(self, name: str, args: list[str], env: dict) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "ab")
        proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append((name, proc))
        return proc

    def stop(self) -> None:
        for _name, proc in reversed(self.procs):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        for name, proc in reversed(self.procs):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
            click.echo(f"stopped {name}")


LOOPBACK = "127.0.0.1"


def browsable(host: str) -> str:
    """The address to open for a server bound to `host` (all interfaces: this machine's loopback)."""
    return LOOPBACK if host in ("0.0.0.0", "::", "") else host


def service_commands(host: str, dagster_port: int, sidecar_port: int) -> dict[str, list[str]]:
    """The long-running services of the demo, bound to `host` (loopback unless asked otherwise)."""
    return {
        "dagster-webserver": [_bin("dagster-webserver"), "-m", "billing_portal.definitions", "-h", host,
                              "-p", str(dagster_port)],
        "sidecar": [_bin("billing-portal"), "serve", "--host", host, "--port", str(sidecar_port)],
        "dagster-daemon": [_bin("dagster-daemon"), "run", "-m", "billing_portal.definitions"],
    }


@click.command("demo")
@click.option("--days", default=30, show_default=True, type=click.IntRange(0, 366), help="Days to materialize.")
@click.option("--simulate/--no-simulate", default=True, show_default=True,
              help="Serve a simulated Confluent Cloud organization (else use the configured credentials).")
@click.option("--scale", type=click.Choice(["small", "medium", "large"]), default="small", show_default=True)
@click.option("--seed", default=42, show_default=True)
@click.option("--host", default=LOOPBACK, show_default=True,
              help="Interface the Dagster UI and the sidecar listen on (0.0.0.0: every interface, reachable from "
                   "other machines).")
@click.option("--dagster-port", default=3000, show_default=True, envvar="DAGSTER_PORT")
@click.option("--sidecar-port", default=8000, show_default=True, envvar="SIDECAR_PORT")
@click.option("--simulator-port", default=8080, show_default=True, envvar="SIMULATOR_PORT")
@click.option("--exit-after-ready", is_flag=True, hidden=True, help="For smoke tests: stop once everything answers.")
def demo_command(days, simulate, scale, seed, host, dagster_port, sidecar_port, simulator_port, exit_after_ready):
    """Simulator → Dagster → PostgreSQL → REST and /metrics, until Ctrl-C."""
    load_dotenv_file()
    for label, port, bind in (("dagster", dagster_port, host), ("sidecar", sidecar_port, host)) + (
            (("simulator", simulator_port, LOOPBACK),) if simulate else ()):
        if not _port_free(port, bind):
            raise BillingPortalError(f"port {port} for the {label} is in use: pass --{label}-port or stop what uses it")
    from billing_portal.dagster_home import ensure_dagster_home

    # A DAGSTER_HOME that cannot be used fails here, in one line, before anything starts.
    ensure_dagster_home(Path(os.environ.get("BILLING_PORTAL_HOME") or ".billing_portal").expanduser().resolve())
    stop_on_signals()
    env = dict(os.environ)
    today = dt.datetime.now(dt.UTC).date()
    start = today - dt.timedelta(days=days)
    if simulate:
        env.update(CCLOUD_API_KEY=SIM_KEY, CCLOUD_API_SECRET=SIM_SECRET,
                   CCLOUD_API_URL=f"http://127.0.0.1:{simulator_port}",
                   CCLOUD_TELEMETRY_URL=f"http://127.0.0.1:{simulator_port}",
                   SCHEMA_REGISTRY_CREDENTIALS_FILE=str(_registry_keys(
                       Path(env.get("BILLING_PORTAL_HOME") or ".billing_portal"), seed, scale)),
                   FLINK_ENDPOINT_TEMPLATE=f"http://127.0.0.1:{simulator_port}/flink/{{cloud}}/{{region}}",
                   FLINK_CREDENTIALS_FILE=str(_flink_keys(
                       Path(env.get("BILLING_PORTAL_HOME") or ".billing_portal"), seed, scale)))
    configured_start = env.get("BILLING_START_DATE")
    if simulate and (not configured_start or dt.date.fromisoformat(configured_start) > start):
        env["BILLING_START_DATE"] = start.isoformat()
    os.environ.update(env)
    get_settings.cache_clear()
    settings = get_settings()

    from billing_portal.warehouse.connection import describe_url, resolve_database_url
    from billing_portal.warehouse.embedded import embedded_running, stop_embedded
    from billing_portal.warehouse.migrate import migrate

    # The sidecar's collect API launches runs on the webserver this demo starts.
    env["DAGSTER_GRAPHQL_URL"] = f"http://127.0.0.1:{dagster_port}"
    commands = service_commands(host, dagster_port, sidecar_port)
    shown = browsable(host)
    children = Children(settings.home / "logs")
    # The embedded PostgreSQL the demo starts is stopped with the rest; one already running (another command's) is
    # left as it was.
    own_database = not settings.DATABASE_URL and not embedded_running(settings.home)
    try:
        url = resolve_database_url(settings)
        migrate(url)
        click.echo(f"warehouse: {describe_url(url)}")
        chunks = capture_chunks(start, today) if simulate and days else []
        if simulate:
            clock = ["--clock", chunks[0][2].isoformat().replace("+00:00", "Z")] if chunks else []
            sim = children.start("simulator", [_bin("billing-portal"), "simulate", "--port", str(simulator_port),
                                               "--seed", str(seed), "--scale", scale, *clock], env)
            wait_http(f"http://127.0.0.1:{simulator_port}/org/v2/organizations", 60, sim)
            click.echo(f"simulator: http://127.0.0.1:{simulator_port} (seed {seed}, scale {scale})")
        # The UI first, so the warm-up and the backfill run can be watched there while they run. The instance's
        # storage is created here first (SQLite schemas, as `dagster dev` does): the webserver and the first run
        # creating it at the same time collide on its schema version.
        from billing_portal.pipeline_cli import open_instance, run_materialization

        with open_instance():
            pass
        web = children.start("dagster-webserver", commands["dagster-webserver"], env)
        if days:
            click.echo(f"Dagster UI: http://{shown}:{dagster_port} (starting; the runs below show there as they run)")
        if chunks:
            warm_up(chunks, f"http://127.0.0.1:{simulator_port}", env)
        if days:
            run_materialization(start, today, show_warehouse=False)
        stop_on_signals()  # Dagster's in-process run restores the handlers it found; ours must hold from here
        sidecar = children.start("sidecar", commands["sidecar"], env)
        # The daemon (schedules, sensors, the run queue) once the backfill is written: its runs never race it.
        children.start("dagster-daemon", commands["dagster-daemon"], env)
        wait_http(f"http://127.0.0.1:{sidecar_port}/healthz", 60, sidecar)
        wait_http(f"http://127.0.0.1:{dagster_port}/server_info", 180, web)
        lo = start.isoformat() + "T00:00:00Z"
        hi = today.isoformat() + "T00:00:00Z"
        click.echo("\nReady:")
        click.echo(f"  Dagster UI   http://{shown}:{dagster_port}  (assets, checks, runs, backfills, schedules)")
        click.echo(f"  REST API     http://{shown}:{sidecar_port}/v1/costs?from_ts={lo}&to_ts={hi}&limit=10")
        click.echo(f"  Swagger UI   http://{shown}:{sidecar_port}/docs")
        click.echo(f"  Metrics      http://{shown}:{sidecar_port}/metrics")
        click.echo(f"  Logs         {children.log_dir}")
        if host != LOOPBACK:
            click.echo(f"  Listening on {host} (not only this machine: --host {LOOPBACK} keeps it local)")
        click.echo("Press Ctrl-C to stop.")
        if exit_after_ready:
            return
        while True:
            for name, proc in children.procs:
                if proc.poll() is not None:
                    raise BillingPortalError(f"{name} exited with code {proc.returncode}: see "
                                             f"{children.log_dir / (name + '.log')}")
            time.sleep(1)
    except KeyboardInterrupt:
        click.echo("\nstopping…")
    finally:
        children.stop()
        if own_database:
            _stop_database(stop_embedded, settings.home)


def _stop_database(stop_embedded, home: Path) -> None:
    """Stop the embedded PostgreSQL the demo started (a second Ctrl-C meanwhile does not leave it running)."""
    for _ in range(3):
        try:
            if stop_embedded(home):
                click.echo("stopped embedded PostgreSQL")
            return
        except KeyboardInterrupt:
            continue
        except BillingPortalError as exc:
            click.echo(f"could not stop the embedded PostgreSQL: {exc} (run `billing-portal db stop`)", err=True)
            return

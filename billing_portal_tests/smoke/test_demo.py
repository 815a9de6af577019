"""`billing-portal demo` (what `make demo` runs): boots the embedded PostgreSQL, the simulator, materializes days
through Dagster, serves the Dagster UI and the sidecar on 127.0.0.1 only; `/healthz` answers, `/v1/costs` is not
empty, the output is free of warnings and says things once, and Ctrl-C (SIGINT) stops every child cleanly, the
embedded PostgreSQL included (issue 16)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

BIN = Path(sys.executable).parent / "billing-portal"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _address(hex_addr: str) -> str:
    raw = bytes.fromhex(hex_addr)
    if len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, raw[::-1])
    return socket.inet_ntop(socket.AF_INET6, b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4)))


def listening_addresses(port: int) -> set[str]:
    """The local addresses of the TCP sockets listening on `port` (Linux: /proc/net/tcp and tcp6)."""
    out = set()
    for name in ("tcp", "tcp6"):
        path = Path("/proc/net") / name
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            addr, hex_port = fields[1].split(":")
            if fields[3] == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                out.add(_address(addr))
    return out


def _alive(pid: int) -> bool:
    """Whether `pid` runs. A zombie (exited, not yet reaped by its parent: the postmaster is reparented to PID 1,
    which in a container may reap late or never) does not run."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if not Path("/proc/self").exists():  # no /proc: kill(0) is all there is
        return True
    try:  # the state field follows the parenthesized command name
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:  # exited since kill(0)
        return False


def _exited(pid: int, within: float = 10.0) -> bool:
    """`pg_ctl stop -w` returns once the pid file is gone, a moment before the process itself has exited."""
    deadline = time.monotonic() + within
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm-background"])
def test_demo_boots_serves_costs_and_stops_cleanly(tmp_path, how):
    """`ctrl-c`: SIGINT to the foreground group, as a terminal sends it. `sigterm-background`: `kill PID` of a demo
    started as a background job (SIGINT ignored, as a non-interactive shell's `&` leaves it)."""
    ports = {name: _free_port() for name in ("dagster", "sidecar", "simulator")}
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CCLOUD_", "SCHEMA_REGISTRY_", "BILLING_", "DATABASE_URL", "DAGSTER_"))}
    env["BILLING_PORTAL_HOME"] = str(tmp_path / "home")  # the demo's own embedded PostgreSQL
    # six days: the three oldest have their bill (published 72 h after the day), all six their usage
    args = [str(BIN), "demo", "--days", "6", "--dagster-port", str(ports["dagster"]),
            "--sidecar-port", str(ports["sidecar"]), "--simulator-port", str(ports["simulator"])]
    log = open(tmp_path / "demo.out", "w+b")
    proc = subprocess.Popen(args, env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True, preexec_fn=_ignore_sigint if how != "ctrl-c" else None)
    try:
        deadline = time.monotonic() + 300
        while b"Press Ctrl-C to stop." not in (tmp_path / "demo.out").read_bytes():
            assert proc.poll() is None, (tmp_path / "demo.out").read_text()[-4000:]
            assert time.monotonic() < deadline, "demo not ready within 5 minutes"
            time.sleep(0.5)
        sidecar = f"http://127.0.0.1:{ports['sidecar']}"
        assert requests.get(f"{sidecar}/healthz", timeout=10).status_code == 200
        today = dt.datetime.now(dt.UTC).date()
        costs = requests.get(f"{sidecar}/v1/costs", timeout=30, params={
            "from_ts": f"{today - dt.timedelta(days=6)}T00:00:00Z", "to_ts": f"{today - dt.timedelta(days=3)}T00:00:00Z",
            "limit": 100})
        assert costs.status_code == 200
        assert len(costs.json()["data"]) == 100
        assert "ccloud_cost_usd_hourly" in requests.get(f"{sidecar}/metrics", timeout=30).text
        assert requests.get(f"http://127.0.0.1:{ports['dagster']}/server_info", timeout=10).status_code == 200
        if Path("/proc/net/tcp").exists():  # a local demo is not reachable from other machines unless asked
            assert listening_addresses(ports["sidecar"]) == {"127.0.0.1"}
            assert listening_addresses(ports["dagster"]) == {"127.0.0.1"}
        postmaster = int((tmp_path / "home" / "pgdata" / "postmaster.pid").read_text().split()[0])
        assert _alive(postmaster)
    finally:
        if proc.poll() is None:
            if how == "ctrl-c":
                os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal sends to the foreground group
            else:
                proc.send_signal(signal.SIGTERM)  # the demo only: it must stop its children itself
        code = proc.wait(timeout=90)
        # The demo stops the embedded PostgreSQL it started; this is for a failed test only.
        stopped = subprocess.run([str(BIN), "db", "stop"], env=env, cwd=tmp_path, timeout=60, check=False,
                                 capture_output=True, text=True)
    out = (tmp_path / "demo.out").read_text()
    assert code == 0, out[-4000:]
    for child in ("dagster-daemon", "dagster-webserver", "sidecar", "simulator"):
        assert f"stopped {child}" in out
    assert "stopped embedded PostgreSQL" in out, out[-2000:]
    assert stopped.stdout.strip() == "not running", stopped.stdout + stopped.stderr
    assert _exited(postmaster), "the embedded PostgreSQL outlived the demo"
    assert not (tmp_path / "home" / "pgdata" / "postmaster.pid").exists()
    assert "Traceback" not in out
    # the output a newcomer reads: no Python warnings (Dagster's BetaWarning, our own deprecations), said once
    assert "Warning:" not in out, [line for line in out.splitlines() if "Warning" in line][:5]
    assert out.count("warehouse:") == 1, out[:2000]
    # the UI is up before the backfill run, so the run can be watched
    assert out.index("Dagster UI: http://127.0.0.1:") < out.index("materializing chargeback_job")

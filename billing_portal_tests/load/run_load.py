"""`make load`: 50 concurrent clients for 60 s against the sidecar (/v1/costs, /v1/costs/summary, /metrics) on a
30-day dataset while one day partition is rewritten again and again by `billing-portal materialize`.

    python -m billing_portal_tests.load.run_load [--scale large] [--days 30] [--users 50] [--duration 60]

DATABASE_URL (or the embedded PostgreSQL) is the warehouse. When it holds fewer than --days days of facts, the
dataset is built first through the real pipeline from the simulator (--scale, --seed): that takes a while on a large
scale (≈1.3 M facts/day). The rewriter uses the same simulator, so a rewrite replaces a day with the same bill.
Prints requests, failures and p50/p95/p99 per endpoint, and exits non-zero on any error.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import psycopg

from billing_portal.simulator.server import start_simulator
from billing_portal_tests.pipeline import BIN, simulator_env

HERE = Path(__file__).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=120) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s")


def _fact_days(url: str) -> list[dt.date]:
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute("SELECT usage_date FROM partition_status WHERE asset_name ="
                                           " 'hourly_cost_facts' ORDER BY 1")]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", default="large", choices=["small", "medium", "large"])
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--duration", type=int, default=60, help="seconds")
    ap.add_argument("--threads", type=int, default=16, help="sidecar (waitress) threads")
    ap.add_argument("--csv", default=None, help="locust CSV prefix (default: a temporary directory)")
    args = ap.parse_args(argv)

    from billing_portal.config import load_settings
    from billing_portal.warehouse.connection import resolve_database_url
    from billing_portal.warehouse.migrate import migrate

    url = resolve_database_url(load_settings())
    migrate(url)
    work = Path(tempfile.mkdtemp(prefix="bp-load-"))
    today = dt.datetime.now(dt.UTC).date()
    sim = start_simulator(seed=args.seed, scale=args.scale)
    env = simulator_env(sim.url, url, work / "home")
    procs: list[subprocess.Popen] = []
    try:
        days = _fact_days(url)
        if len(days) < args.days:
            first = today - dt.timedelta(days=args.days + 1)
            print(f"building {args.days} days of the {args.scale} organization ({first} … {today - dt.timedelta(days=2)})",
                  flush=True)
            t0 = time.monotonic()
            subprocess.run([str(BIN), "materialize", "--start", first.isoformat(), "--end",
                            (today - dt.timedelta(days=1)).isoformat()], env=env, cwd=work, check=True)
            print(f"built in {time.monotonic() - t0:.0f} s", flush=True)
            days = _fact_days(url)
        with psycopg.connect(url) as conn:
            facts = conn.execute("SELECT count(*) FROM hourly_cost_facts").fetchone()[0]
        print(f"dataset: {len(days)} days {days[0]} … {days[-1]}, {facts:,} fact rows "
              f"({facts / len(days):,.0f}/day)", flush=True)

        port = _free_port()
        sidecar = subprocess.Popen([str(BIN), "serve", "--host", "127.0.0.1", "--port", str(port), "--threads",
                                    str(args.threads)], env=env, cwd=work, stdout=subprocess.DEVNULL,
                                   stderr=open(work / "sidecar.log", "wb"), start_new_session=True)
        procs.append(sidecar)
        base = f"http://127.0.0.1:{port}"
        _wait(f"{base}/healthz", 60)
        t0 = time.monotonic()
        _wait(f"{base}/metrics", 600)  # the first scrape starts the ledger sync
        print(f"sidecar up on {base} (first /metrics {time.monotonic() - t0:.1f} s)", flush=True)

        # The rewriter: the newest day but one, replaced again and again while the load runs.
        day = days[-2]
        stop = threading.Event()
        rewrites: list[tuple[float, float, int]] = []

        def rewrite() -> None:
            while not stop.is_set():
                t = time.monotonic()
                p = subprocess.run([str(BIN), "materialize", "--start", day.isoformat(), "--end",
                                    (day + dt.timedelta(days=1)).isoformat()], env=env, cwd=work,
                                   capture_output=True, text=True)
                rewrites.append((t, time.monotonic(), p.returncode))
                if p.returncode != 0:
                    print(f"rewrite failed: {p.stderr[-500:]}", flush=True)

        rewriter = threading.Thread(target=rewrite, daemon=True)
        rewriter.start()
        time.sleep(3)  # the rewrite is under way (Dagster start-up, collection) before the load starts

        prefix = args.csv or str(work / "locust")
        load_env = os.environ | {
            "LOAD_FROM_TS": f"{days[0]}T00:00:00Z",
            "LOAD_TO_TS": f"{days[-1] + dt.timedelta(days=1)}T00:00:00Z",
            "LOAD_DAYS": ",".join(d.isoformat() for d in days)}
        t_load, wall_load = time.monotonic(), dt.datetime.now(dt.UTC)
        subprocess.run([str(Path(sys.executable).parent / "locust"), "-f", str(HERE / "locustfile.py"),
                        "--headless", "-u", str(args.users), "-r", str(args.users), "-t", f"{args.duration}s",
                        "--host", base, "--csv", prefix, "--only-summary", "--loglevel", "WARNING",
                        "--stop-timeout", "30"], env=load_env, check=False)
        t_end, wall_end = time.monotonic(), dt.datetime.now(dt.UTC)
        with psycopg.connect(url) as conn:
            swapped = conn.execute("SELECT materialized_at FROM partition_status WHERE asset_name ="
                                   " 'hourly_cost_facts' AND usage_date = %s", (day,)).fetchone()[0]
        print(f"load {wall_load:%H:%M:%S}–{wall_end:%H:%M:%S} UTC; facts of {day} last swapped at "
              f"{swapped.astimezone(dt.UTC):%H:%M:%S} UTC", flush=True)
        stop.set()
        rewriter.join(timeout=900)

        with open(f"{prefix}_stats.csv", newline="") as fh:
            rows = list(csv.DictReader(fh))
        overlapping = [r for r in rewrites if r[0] < t_end and r[1] > t_load]
        print(f"\n{args.users} clients, {args.duration} s, dataset {len(days)} days × {facts / len(days):,.0f} "
              f"facts ({args.scale}); day {day} rewritten {len(overlapping)} time(s) during the load "
              f"({sum(1 for r in overlapping if r[2] == 0)} succeeded; each "
              f"{', '.join(f'{r[1] - r[0]:.0f}' for r in overlapping)} s)")
        print(f"{'endpoint':<28}{'requests':>9}{'failures':>9}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}"
              f"{'p99 ms':>9}{'max ms':>9}")
        failures = 0
        for r in rows:
            failures += int(r["Failure Count"]) if r["Name"] == "Aggregated" else 0
            print(f"{r['Name']:<28}{r['Request Count']:>9}{r['Failure Count']:>9}{float(r['Requests/s']):>8.1f}"
                  f"{r['50%']:>9}{r['95%']:>9}{r['99%']:>9}{float(r['Max Response Time']):>9.0f}")
        if Path(f"{prefix}_failures.csv").exists():
            for line in Path(f"{prefix}_failures.csv").read_text().splitlines()[1:6]:
                print("failure:", line)
        ok = failures == 0 and overlapping and all(r[2] == 0 for r in overlapping)
        print("RESULT:", "zero errors" if failures == 0 else f"{failures} errors",
              "" if overlapping else "(no rewrite overlapped the load!)")
        return 0 if ok else 1
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
        sim.stop()


if __name__ == "__main__":
    sys.exit(main())

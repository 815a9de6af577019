"""`billing-portal bench`: the pipeline and the API measured against the machine's own COPY limit, in one run.

Everything runs as an operator would run it, on a fresh database: the simulator (`billing-portal simulate`) and the
sidecar (`billing-portal serve`, waitress) in their own processes, each materialization as one Dagster run through
`billing-portal materialize` in a child process (its peak RSS is the child's `ru_maxrss`), the per-stage breakdown
read back from the run's event log (step durations and the facts asset's `timings_s` metadata).

Steps: (1) one day end to end (the newest complete day); (2) the COPY limit: the same day's rows, exported by
PostgreSQL in its own text format, COPYed back into a fresh table shaped like `hourly_cost_facts` created in the
same transaction (as the writer does: no WAL under wal_level=minimal, no index), and into the real partitioned table
through a new partition (with its indexes); (3) a backfill of `--days` earlier days as one run; (4) the API on
`--api-days` days: days not materialized are filled by copying the measured day's facts and rollups in SQL with
shifted dates (stated in the output), then ≥ `--api-requests` sequential keep-alive requests per endpoint.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from billing_portal.localnet import free_port, wait_http

BIN = Path(sys.executable).parent / "billing-portal"
COLLECT_STEPS = ("catalog_tags", "core_objects", "billing_costs", "principal_usage", "ownership")


def _with_db(url: str, name: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["mem_gib"] = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    info["load_avg_start"] = [round(x, 2) for x in os.getloadavg()]
    return info


def percentile(values: list[float], q: float) -> float:
    """The q-quantile with linear interpolation between order statistics (statistics.quantiles, "inclusive")."""
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


@dataclass
class Bench:
    scale: str
    days: int
    api_days: int = 30
    api_requests: int = 200
    api_fact_days: int = 30  # of the api_days, the newest that get a facts partition (the /v1/costs pages)
    seed: int = 42
    echo: Any = print
    keep: bool = False
    results: dict[str, Any] = field(default_factory=dict)
    _topic: dict[str, Any] = field(default_factory=dict, repr=False)  # run id → the topic view's rows and timings

    # --- environment ---------------------------------------------------------------------------------------------
    def setup(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="bpbench", dir="/tmp"))
        (self.home / "dagster").mkdir()
        (self.home / "dagster" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        self.procs: list[subprocess.Popen] = []
        self.embedded = False
        base = os.environ.get("DATABASE_URL")
        if base:
            from billing_portal.warehouse.connection import normalize_url

            base = normalize_url(base)
            self.db_name = f"bp_bench_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(_with_db(base, "postgres"), autocommit=True) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.db_name)))
            self.admin_url = _with_db(base, "postgres")
            self.url = _with_db(base, self.db_name)
            where = "new database on DATABASE_URL's server"
        else:
            from billing_portal.warehouse.embedded import start_embedded

            self.url = start_embedded(self.home)
            self.embedded = True
            where = f"embedded PostgreSQL under {self.home}"
        from billing_portal.warehouse.migrate import migrate

        migrate(self.url)
        with psycopg.connect(self.url) as conn:
            self.results["postgres"] = conn.execute("SHOW server_version").fetchone()[0]
            self.results["wal_level"] = conn.execute("SHOW wal_level").fetchone()[0]
        self.results["database"] = where
        self.sim_port = free_port()
        self.sim_url = f"http://127.0.0.1:{self.sim_port}"
        # a movable clock following the wall clock: the backfill's usage is captured with the clock moved back
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        self.procs.append(subprocess.Popen(
            [str(BIN), "simulate", "--port", str(self.sim_port), "--scale", self.scale, "--seed", str(self.seed),
             "--clock", now], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=self._env(), cwd=self.home))
        wait_http(self.sim_url + "/", 120, self.procs[-1])
        import requests

        requests.put(self.sim_url + "/_simulator/clock", json={"wall": True}, timeout=10).raise_for_status()
        self.echo(f"bench: scale={self.scale}, {where}, simulator on {self.sim_url}")

    def _registry_keys(self) -> Path:
        """Every environment's Schema Registry key of the simulated org (one registry per environment, as live)."""
        path = self.home / "schema-registry-keys.yaml"
        if not path.exists():
            import yaml

            from billing_portal.simulator import build_model
            from billing_portal.simulator.testing import sr_credentials_file

            path.write_text(yaml.safe_dump(sr_credentials_file(build_model(self.seed, self.scale))))
        return path

    def _flink_keys(self) -> Path:
        """Every region's Flink key of the simulated org (statements are listed per region, as live)."""
        path = self.home / "flink-keys.yaml"
        if not path.exists():
            import yaml

            from billing_portal.simulator import build_model
            from billing_portal.simulator.testing import flink_credentials_file

            path.write_text(yaml.safe_dump(flink_credentials_file(build_model(self.seed, self.scale))))
        return path

    def _env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("CCLOUD_", "SCHEMA_REGISTRY_", "BILLING_", "FLINK_"))}
        env.update(DATABASE_URL=self.url if hasattr(self, "url") else "", BILLING_PORTAL_HOME=str(self.home),
                   DAGSTER_HOME=str(self.home / "dagster"), CCLOUD_API_KEY="SIMKEY", CCLOUD_API_SECRET="SIMSECRET",
                   SCHEMA_REGISTRY_API_KEY="SIMSRKEY", SCHEMA_REGISTRY_API_SECRET="SIMSRSECRET",
                   BILLING_START_DATE="2020-01-01", PYTHONWARNINGS="ignore")
        if hasattr(self, "sim_url"):
            env.update(CCLOUD_API_URL=self.sim_url, CCLOUD_TELEMETRY_URL=self.sim_url,
                       SCHEMA_REGISTRY_CREDENTIALS_FILE=str(self._registry_keys()),
                       FLINK_CREDENTIALS_FILE=str(self._flink_keys()),
                       FLINK_ENDPOINT_TEMPLATE=self.sim_url + "/flink/{cloud}/{region}")
        env.update(extra)
        return env

    def teardown(self) -> None:
        for proc in reversed(getattr(self, "procs", [])):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        if self.keep:
            self.echo(f"bench: kept {self.home} ({self.url})")
            return
        if getattr(self, "embedded", False):
            from billing_portal.warehouse.embedded import stop_embedded

            stop_embedded(self.home)
        elif hasattr(self, "db_name"):
            with psycopg.connect(self.admin_url, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.db_name)))
        if hasattr(self, "home"):
            shutil.rmtree(self.home, ignore_errors=True)

    # --- materializations ----------------------------------------------------------------------------------------
    def materialize(self, start: dt.date, end: dt.date) -> dict[str, Any]:
        """One run for [start, end) in a child process: wall time, peak RSS, run id, per-step durations."""
        args = [str(BIN), "materialize", "--start", start.isoformat(), "--end", end.isoformat()]
        t0 = time.perf_counter()
        proc = subprocess.Popen(args, env=self._env(), cwd=self.home, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise RuntimeError(f"materialize {start}..{end} failed ({proc.returncode}):\n{out[-3000:]}")
        m = re.search(r"as run ([0-9a-f-]{36})", out)
        steps, timings, facts = self._run_events(m.group(1)) if m else ({}, {}, 0)
        topic = self._topic.get(m.group(1), {}) if m else {}
        return {"topic_fact_rows": int(topic.get("rows") or 0), "topic_timings_s": topic.get("timings") or {},
                "seconds": wall, "peak_rss_bytes": usage.ru_maxrss * 1024, "run_id": m.group(1) if m else None,
                "steps_s": steps, "facts_timings_s": timings, "fact_rows": facts,
                "user_cpu_s": usage.ru_utime, "system_cpu_s": usage.ru_stime}

    def _run_events(self, run_id: str) -> tuple[dict, dict, int]:
        code = (
            "import json, sys\n"
            "from dagster import DagsterInstance\n"
            "inst = DagsterInstance.get()\n"
            "starts, steps, timings, rows, topic = {}, {}, {}, 0, {'rows': 0, 'timings': {}}\n"
            "for r in inst.all_logs(sys.argv[1]):\n"
            "    ev = r.dagster_event\n"
            "    if ev is None: continue\n"
            "    if ev.event_type_value == 'STEP_START': starts[ev.step_key] = r.timestamp\n"
            "    elif ev.event_type_value == 'STEP_SUCCESS': steps[ev.step_key] = r.timestamp - starts[ev.step_key]\n"
            "    elif ev.event_type_value == 'ASSET_MATERIALIZATION':\n"
            "        md = ev.event_specific_data.materialization.metadata\n"
            "        if 'timings_s' in md: timings = md['timings_s'].data\n"
            "        if 'fact_rows' in md: rows = md['fact_rows'].value\n"
            "        if 'topic_fact_rows' in md: topic['rows'] = md['topic_fact_rows'].value\n"
            "        if 'topic_timings_s' in md: topic['timings'] = md['topic_timings_s'].data\n"
            "print(json.dumps({'steps': steps, 'timings': timings, 'rows': rows, 'topic': topic}))\n")
        out = subprocess.run([sys.executable, "-c", code, run_id], env=self._env(), cwd=self.home,
                             capture_output=True, text=True, check=True).stdout
        doc = json.loads(out.strip().splitlines()[-1])
        self._topic[run_id] = doc["topic"]
        return doc["steps"], doc["timings"], int(doc["rows"])

    @staticmethod
    def breakdown(run: dict[str, Any]) -> dict[str, float]:
        steps, facts = run["steps_s"], run["facts_timings_s"]
        collect = sum(v for k, v in steps.items() if k in COLLECT_STEPS)
        allocate = facts.get("read_s", 0.0) + facts.get("allocate_s", 0.0)
        write = facts.get("write_s", 0.0)
        return {"collect_s": collect, "collect_catalog_s": steps.get("catalog_tags", 0.0),
                "collect_usage_s": steps.get("principal_usage", 0.0), "allocate_s": allocate, "write_s": write,
                "checks_and_confidence_s": steps.get("cost_confidence", 0.0),
                "orchestration_s": max(0.0, run["seconds"] - sum(steps.values()))}

    # --- COPY limit ----------------------------------------------------------------------------------------------
    def copy_limit(self, day: dt.date, repeats: int = 2) -> dict[str, Any]:
        from billing_portal.defs.facts.write import FACT_COLUMNS
        from billing_portal.warehouse.replace import partition_name

        cols = sql.SQL(", ").join(sql.Identifier(c) for c in FACT_COLUMNS)
        part = partition_name("hourly_cost_facts", day)
        chunks: list[bytes] = []
        with psycopg.connect(self.url) as conn:
            with conn.cursor().copy(sql.SQL("COPY (SELECT {} FROM {} ORDER BY fact_no) TO STDOUT").format(
                    cols, sql.Identifier(part))) as cp:
                chunks.extend(bytes(c) for c in cp)
            rows = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(part))).fetchone()[0]
            lo = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
            hi = lo + dt.timedelta(days=1)

            def timed(prepare, target) -> float:
                best = float("inf")
                for _ in range(repeats):
                    with conn.transaction(force_rollback=True):
                        prepare()
                        t0 = time.perf_counter()
                        with conn.cursor().copy(sql.SQL("COPY {} ({}) FROM STDIN").format(
                                sql.Identifier(target), cols)) as cp:
                            for c in chunks:
                                cp.write(c)
                        best = min(best, time.perf_counter() - t0)
                return best

            fresh = timed(lambda: conn.execute("CREATE TABLE bench_copy_target (LIKE hourly_cost_facts)"),
                          "bench_copy_target")

            def new_partition():
                conn.execute(sql.SQL("ALTER TABLE hourly_cost_facts DETACH PARTITION {}").format(
                    sql.Identifier(part)))
                conn.execute(sql.SQL("CREATE TABLE bench_copy_part PARTITION OF hourly_cost_facts FOR VALUES FROM "
                                     "({}) TO ({})").format(sql.Literal(lo), sql.Literal(hi)))

            parent = timed(new_partition, "hourly_cost_facts")
        size = sum(len(c) for c in chunks)
        return {"rows": rows, "bytes": size, "seconds": fresh, "copy_rows_per_s": rows / fresh,
                "into_partitioned_parent_with_indexes_s": parent,
                "into_partitioned_parent_rows_per_s": rows / parent}

    # --- API -----------------------------------------------------------------------------------------------------
    def fill_days(self, template: dt.date, wanted: list[dt.date], fact_days: int | None = None) -> list[dt.date]:
        """Copy `template`'s rollups (every day and hour rollup of both views) to each missing day of `wanted`, and
        its facts partition to the missing ones among the newest `fact_days` days (all by default), dates shifted in
        SQL; then the month rollups of the range are rebuilt from the day rollups, as the writers keep them."""
        from billing_portal.defs.facts.write import FACT_COLUMNS, index_facts
        from billing_portal.model.tables import FACT_TABLES, ROLLUP_TABLES
        from billing_portal.warehouse.derived_rollups import rebuild_derived_rollups
        from billing_portal.warehouse.replace import attach_staged, partition_name, stage_day_partition

        filled = []
        src = partition_name("hourly_cost_facts", template)
        with_facts = set(sorted(wanted)[-fact_days:] if fact_days else wanted)
        with psycopg.connect(self.url) as conn:
            have = {r[0] for r in conn.execute("SELECT DISTINCT usage_date FROM cost_daily_business")}
            for day in wanted:
                if day in have:
                    continue
                shift = (day - template).days
                with conn.transaction():
                    if day in with_facts:  # staged, indexed and swapped in as the writer does
                        facts = stage_day_partition(conn, "hourly_cost_facts", day,
                                                    shifted_copy(src, FACT_COLUMNS, shift))
                        index_facts(conn, facts.staging)
                        attach_staged(conn, facts)
                    # every day and hour rollup of both views (billing_portal/model/rollups.py); months below
                    for r in (r for r in ROLLUP_TABLES if r.grain != "month"):
                        load = shifted_copy(r.name, r.names(), shift, template)
                        if r.partition_key:  # a day partition of its own, as the writer makes it
                            attach_staged(conn, stage_day_partition(conn, r.name, day, load,
                                                                    key_column=r.partition_key))
                        else:
                            load(conn, r.name)
                    conn.execute("SELECT refresh_cost_figures(%s)", (day,))
                    # as the writer does: the day's bookkeeping row (the sidecar's /metrics ledger compares it)
                    conn.execute(
                        "INSERT INTO partition_status (asset_name, usage_date, row_count, amount_usd, run_id, details)"
                        " SELECT asset_name, %s, row_count, amount_usd, 'bench-copy', jsonb_build_object("
                        "'copied_from', %s::text, 'facts_copied', %s) FROM partition_status"
                        " WHERE asset_name = 'hourly_cost_facts' AND usage_date = %s ON CONFLICT DO NOTHING",
                        (day, template.isoformat(), day in with_facts, template))
                conn.commit()
                filled.append(day)
            if filled:
                with conn.transaction():
                    for facts in FACT_TABLES:
                        rebuild_derived_rollups(conn, facts.name, min(filled), max(filled), grains=("month",))
            conn.execute("ANALYZE")
            conn.commit()
        return filled

    def api(self, first: dt.date, last: dt.date, facts_first: dt.date | None = None) -> dict[str, Any]:
        """Every endpoint on [first, last]; the /v1/costs pages on [facts_first, last] (the days with facts)."""
        import requests

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        proc = subprocess.Popen([str(BIN), "serve", "--port", str(port)], env=self._env(), cwd=self.home,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append(proc)
        wait_http(base + "/healthz", 60, proc)
        frm = f"{first.isoformat()}T00:00:00Z"
        to = f"{(last + dt.timedelta(days=1)).isoformat()}T00:00:00Z"
        pages = f"{(facts_first or first).isoformat()}T00:00:00Z"
        session = requests.Session()
        with psycopg.connect(self.url) as conn:
            team = conn.execute("SELECT team FROM cost_daily_business WHERE team IS NOT NULL GROUP BY 1"
                                " ORDER BY sum(fact_rows) DESC LIMIT 1").fetchone()
            principal = conn.execute("SELECT principal_id FROM cost_daily_principal GROUP BY 1"
                                     " ORDER BY sum(fact_rows) DESC OFFSET 10 LIMIT 1").fetchone()
        team = team[0] if team else None
        requests_ = {
            "summary_by_business_unit": ("/v1/costs/summary", {"from_ts": frm, "to_ts": to,
                                                               "group_by": "business_unit"}),
            "summary_by_principal": ("/v1/costs/summary", {"from_ts": frm, "to_ts": to, "group_by": "principal_id"}),
            "costs_page_team_filter": ("/v1/costs", {"from_ts": pages, "to_ts": to, "team": team, "product": "KAFKA"}
                                       if team else {"from_ts": pages, "to_ts": to, "product": "KAFKA"}),
            "topics_summary_by_team": ("/v1/topics/summary", {"from_ts": frm, "to_ts": to, "group_by": "team"}),
            "costs_page_principal_filter": ("/v1/costs", {"from_ts": pages, "to_ts": to,
                                                          "principal_id": principal[0] if principal else "UNALLOCATED"}),
        }
        out: dict[str, Any] = {}
        # /metrics only reads the ledger (written by the metrics_ledger asset, and above for the copied days); the
        # loop waits until it covers the window (the warm-up time is reported).
        t0 = time.perf_counter()
        window = min(self.api_days, int(os.environ.get("RESTATEMENT_WINDOW_DAYS", "7")) + 1)
        while True:
            t = time.perf_counter()
            session.get(base + "/metrics", timeout=120)
            scrape = time.perf_counter() - t
            with psycopg.connect(self.url) as conn:
                synced = conn.execute("SELECT to_regclass('sidecar_metric_sync') IS NOT NULL").fetchone()[0] and \
                    conn.execute("SELECT count(*) FROM sidecar_metric_sync").fetchone()[0]
            if (synced and synced >= window and scrape < 1.5) or time.perf_counter() - t0 > 900:
                break
            time.sleep(1)
        out["metrics_warmup_s"] = time.perf_counter() - t0
        requests_["metrics"] = ("/metrics", {})
        for name, (path, params) in requests_.items():
            r = session.get(base + path, params=params, timeout=120)
            if r.status_code != 200:
                raise RuntimeError(f"{path} answered {r.status_code}: {r.text[:300]}")
            times = []
            for _ in range(self.api_requests):
                t = time.perf_counter()
                r = session.get(base + path, params=params, timeout=120)
                times.append(time.perf_counter() - t)
                if r.status_code != 200:
                    raise RuntimeError(f"{path} answered {r.status_code}: {r.text[:300]}")
            out[name] = {"path": path, "params": params, "requests": len(times), "p50_s": percentile(times, 0.5),
                         "p95_s": percentile(times, 0.95), "max_s": max(times), "bytes": len(r.content)}
        proc.terminate()
        proc.wait(20)
        return out

    # --- the whole thing -----------------------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        res = self.results
        res.update(scale=self.scale, days=self.days, api_days=self.api_days, machine=machine(),
                   started_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
        today = dt.datetime.now(dt.UTC).date()
        # the newest day whose bill is published (72 h after it ends) and whose usage the Metrics API still has
        day = today - dt.timedelta(days=4)
        try:
            self.setup()
            self.echo(f"bench: one day end to end ({day})")
            one = self.materialize(day, day + dt.timedelta(days=1))
            self.echo(f"bench: COPY limit on {one['fact_rows']} rows")
            limit = self.copy_limit(day)
            rows = one["fact_rows"]
            stages = self.breakdown(one)
            res["copy"] = limit
            res["copy_rows_per_s"] = limit["copy_rows_per_s"]
            res["day"] = {
                "date": day.isoformat(), "seconds": one["seconds"], "fact_rows": rows,
                "rows_per_s": rows / one["seconds"], "ratio_to_copy": rows / one["seconds"] / limit["copy_rows_per_s"],
                "peak_rss_bytes": one["peak_rss_bytes"], "stages_s": stages, "steps_s": one["steps_s"],
                "facts_timings_s": one["facts_timings_s"],
                "without_catalog": self._without_catalog(one, rows, limit["copy_rows_per_s"]),
                # the part of the day that is ours alone (no Confluent rate limit): read inputs, allocate, write
                "processing_ratio_to_copy": rows / max(1e-9, stages["allocate_s"] + stages["write_s"])
                / limit["copy_rows_per_s"],
                "topic_view": self._topic_view(one, rows, limit["copy_rows_per_s"]),
            }
            backfill_days = []
            if self.days > 0:
                start = day - dt.timedelta(days=self.days)
                # as if the portal had run daily over those days: their usage captured while the Metrics API had it
                # (the simulator's clock moved back, chunk by chunk), so the backfill reads usage from the store
                from billing_portal.demo import capture_chunks, warm_up

                self.echo(f"bench: usage of {start} … {day - dt.timedelta(days=1)} captured as the daily schedule "
                          "would have (not measured)")
                t_capture = time.perf_counter()
                warm_up(capture_chunks(start, day), self.sim_url, self._env(), observe=False, echo=self.echo)
                capture_s = time.perf_counter() - t_capture
                self.echo(f"bench: backfill {start} … {day - dt.timedelta(days=1)} as one run")
                with psycopg.connect(self.url) as conn:
                    obs_before = conn.execute("SELECT count(*) FROM observations").fetchone()[0]
                bf = self.materialize(start, day)
                with psycopg.connect(self.url) as conn:
                    obs_after = dict(conn.execute("SELECT source, count(*) FROM observations GROUP BY 1").fetchall())
                    usage_sources = dict(conn.execute(
                        "SELECT coalesce(c.source, 'not captured'), count(*) FROM generate_series(%s::date, %s::date,"
                        " '1 day') d LEFT JOIN usage_capture c ON c.usage_date = d::date GROUP BY 1",
                        (start, day - dt.timedelta(days=1))).fetchall())
                backfill_days = [start + dt.timedelta(days=i) for i in range(self.days)]
                res["backfill"] = {"days": self.days, "seconds": bf["seconds"], "s_per_day": bf["seconds"] / self.days,
                                   "usage_capture_before_s": capture_s,
                                   "fact_rows": bf["fact_rows"], "peak_rss_bytes": bf["peak_rss_bytes"],
                                   # every step scales with the days but the /metrics ledger, which only ever
                                   # compares the restatement window's days (RESTATEMENT_WINDOW_DAYS + 1)
                                   "projected_365_days_min": project_year(bf, self.days) / 60,
                                   # the floor: a year of these days' facts at this machine's raw COPY rate
                                   "copy_floor_365_days_min": bf["fact_rows"] / self.days * 365
                                   / limit["copy_rows_per_s"] / 60,
                                   "facts_timings_s": bf["facts_timings_s"], "topic_timings_s": bf["topic_timings_s"],
                                   "stages_s": self.breakdown(bf), "steps_s": bf["steps_s"],
                                   # objects and catalog are observed once (by the one-day run), not per day
                                   "new_observations": sum(obs_after.values()) - obs_before,
                                   "observations": obs_after, "usage_capture_sources": usage_sources}
            first = day - dt.timedelta(days=self.api_days - 1)
            wanted = [first + dt.timedelta(days=i) for i in range(self.api_days)]
            fact_days = min(self.api_fact_days, self.api_days)
            facts_first = day - dt.timedelta(days=fact_days - 1)
            self.echo(f"bench: API dataset {first} … {day} (facts from {facts_first}: the /v1/costs pages' range)")
            t0 = time.perf_counter()
            filled = self.fill_days(day, wanted, fact_days)
            # the copied days' /metrics ledger, as the metrics_ledger asset writes it after the facts
            from billing_portal.defs.metrics.ledger import sync

            t_ledger = time.perf_counter()
            with psycopg.connect(self.url, autocommit=True) as conn:
                ledger_days = sync(conn, day, int(os.environ.get("RESTATEMENT_WINDOW_DAYS", "7")) + 1)
            ledger_s = time.perf_counter() - t_ledger
            with psycopg.connect(self.url) as conn:
                total = conn.execute("SELECT sum(fact_rows) FROM cost_daily_business WHERE usage_date >= %s",
                                     (first,)).fetchone()[0]
            res["api_dataset"] = {"days": self.api_days, "fact_rows": int(total or 0),
                                  "materialized_days": 1 + len([d for d in backfill_days if d >= first]),
                                  "copied_days": len(filled), "copy_seconds": time.perf_counter() - t0,
                                  "fact_days": fact_days, "facts_from": facts_first.isoformat(),
                                  "metrics_ledger_s": ledger_s, "metrics_ledger_samples": sum(ledger_days.values()),
                                  "note": "days not materialized by this run are SQL copies of the measured day with "
                                          "shifted dates: its rollups (every day and hour rollup of both views; the "
                                          "month rollups rebuilt from them) on every day, its facts partition (with "
                                          f"its indexes) on the newest {fact_days} days only: the /v1/costs pages are "
                                          f"measured on those {fact_days} days, the summaries and /metrics on all "
                                          f"{self.api_days}"}
            self.echo(f"bench: API latency, {self.api_requests} requests per endpoint")
            res["api"] = self.api(first, day, facts_first)
            res["machine"]["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
            res["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            res["targets"] = targets(res)
            return res
        finally:
            self.teardown()

    @staticmethod
    def _topic_view(run: dict[str, Any], rows: int, copy_rows_per_s: float) -> dict[str, Any]:
        """The topic view of the day (hourly_topic_facts): its rows and time, and the processing ratio of both views —
        the principal facts' COPY time over allocate + write + checks + confidence of the principal view plus
        read + allocate + write of the topic view."""
        t = run["topic_timings_s"]
        topic_s = sum(t.get(k, 0.0) for k in ("read_s", "allocate_s", "write_s"))
        stages = Bench.breakdown(run)
        both = stages["allocate_s"] + stages["write_s"] + stages["checks_and_confidence_s"] + topic_s
        return {"fact_rows": run["topic_fact_rows"], "seconds": topic_s, "timings_s": t,
                "step_s": run["steps_s"].get("hourly_topic_facts", 0.0),
                "rows_per_s": run["topic_fact_rows"] / topic_s if topic_s else 0.0,
                "both_views_processing_s": both,
                "both_views_processing_ratio_to_copy": rows / max(1e-9, both) / copy_rows_per_s}

    @staticmethod
    def _without_catalog(run: dict[str, Any], rows: int, limit: float) -> dict[str, float]:
        """The day without the Stream Catalog crawl, which is paced by Confluent's 75 reads/s limit (one read per
        entity and tagged entity) and runs once per run whatever the number of days."""
        seconds = run["seconds"] - run["steps_s"].get("catalog_tags", 0.0)
        return {"seconds": seconds, "rows_per_s": rows / seconds, "ratio_to_copy": rows / seconds / limit}


def shifted_copy(source: str, cols: Sequence[str], shift_days: int, template_day: dt.date | None = None):
    """A loader `(conn, target) -> rows` (as `replace.stage_day_partition` takes) inserting `source`'s rows — those of
    `template_day` if given — into `target`, their `usage_date` and `hour` moved by `shift_days` days."""
    dates = sql.SQL(", ").join(
        sql.SQL("usage_date + {}").format(sql.Literal(shift_days)) if c == "usage_date" else
        sql.SQL("hour + {}").format(sql.Literal(dt.timedelta(days=shift_days))) if c == "hour" else
        sql.Identifier(c) for c in cols)
    body = sql.SQL(" ({}) SELECT {} FROM {}{}").format(
        sql.SQL(", ").join(sql.Identifier(c) for c in cols), dates, sql.Identifier(source),
        sql.SQL(" WHERE usage_date = %s" if template_day else ""))
    params = (template_day,) if template_day else None

    def load(conn: psycopg.Connection, target: str) -> int:
        return conn.execute(sql.SQL("INSERT INTO {}").format(sql.Identifier(target)) + body, params).rowcount
    return load


def project_year(run: dict[str, Any], days: int) -> float:
    """Seconds a 365-day single run would take: the run's time per day × 365, except the metrics_ledger step,
    which handles at most the restatement window's days whatever the range (counted once, as measured)."""
    window_bound = run["steps_s"].get("metrics_ledger", 0.0)
    return (run["seconds"] - window_bound) / days * 365 + window_bound


def targets(res: dict[str, Any]) -> dict[str, Any]:
    api = res.get("api", {})
    out: dict[str, Any] = {}
    if res["scale"] == "large":
        out["day_ratio_to_copy>=0.5"] = res["day"]["ratio_to_copy"] >= 0.5
        if "topic_view" in res["day"]:
            out["both_views_processing_ratio>=0.5"] = \
                res["day"]["topic_view"]["both_views_processing_ratio_to_copy"] >= 0.5
        out["day_peak_rss<=1.5GiB"] = res["day"]["peak_rss_bytes"] <= 1.5 * 2**30
        days = res.get("api_dataset", {}).get("days", 0)
        if days >= 30:
            # issue 15: the summaries of a year (365 days) as fast as those of 30 days; the pages on their fact days
            year = "_365d" if days >= 365 else ""
            for name in ("summary_by_business_unit", "summary_by_principal", "topics_summary_by_team"):
                if name in api:
                    out[f"{name}{year}_p95<=100ms"] = api[name]["p95_s"] <= 0.1
            if "costs_page_team_filter" in api:
                out["costs_page_team_filter_p95<=100ms"] = api["costs_page_team_filter"]["p95_s"] <= 0.1
            if "metrics" in api:
                out["metrics_p95<=0.3s"] = api["metrics"]["p95_s"] <= 0.3
    if res["scale"] == "large" and "backfill" in res:
        out["365_day_backfill<=60min"] = res["backfill"]["projected_365_days_min"] <= 60
        out["backfill_peak_rss<=1.5GiB"] = res["backfill"]["peak_rss_bytes"] <= 1.5 * 2**30
    if res["scale"] == "medium" and "backfill" in res and res["days"] >= 30:
        out["365_day_backfill<=15min"] = res["backfill"]["projected_365_days_min"] <= 15
    return out


def render(res: dict[str, Any]) -> str:
    gib = 2**30
    lines = [f"billing-portal bench --scale {res['scale']} --days {res['days']}   "
             f"({res['machine'].get('cpus')} CPUs {res['machine'].get('cpu_model', '')}, "
             f"{res['machine'].get('mem_gib', '?')} GiB, load {res['machine'].get('load_avg_start')}"
             f"→{res['machine'].get('load_avg_end')}; PostgreSQL {res.get('postgres')}, wal_level={res.get('wal_level')})",
             ""]
    c = res["copy"]
    d = res["day"]
    s = d["stages_s"]
    rows = [
        ("COPY limit (same-txn table, text)", f"{c['copy_rows_per_s']:,.0f} rows/s",
         f"{c['rows']:,} rows in {c['seconds']:.2f} s; into the partitioned parent with indexes "
         f"{c['into_partitioned_parent_rows_per_s']:,.0f} rows/s"),
        ("one day end to end", f"{d['seconds']:.1f} s", f"{d['fact_rows']:,} facts, {d['rows_per_s']:,.0f} rows/s"),
        ("  ratio_to_copy", f"{d['ratio_to_copy']:.3f}",
         f"without the rate-limited catalog crawl: {d['without_catalog']['ratio_to_copy']:.3f} "
         f"({d['without_catalog']['seconds']:.1f} s)"),
        ("  processing ratio_to_copy", f"{d['processing_ratio_to_copy']:.3f}",
         "allocate + write only (the stages no Confluent rate limit paces)"),
        ("  collect", f"{s['collect_s']:.1f} s", f"catalog {s['collect_catalog_s']:.1f} s, "
                                                 f"metrics {s['collect_usage_s']:.1f} s"),
        ("  allocate (read inputs + allocate)", f"{s['allocate_s']:.1f} s", ""),
        ("  write (facts, indexes, rollups, reconciliation)", f"{s['write_s']:.1f} s",
         ", ".join(f"{k.removeprefix('write_').removesuffix('_s')} {v:.1f} s"  # its parts, not the total again
                   for k, v in d["facts_timings_s"].items() if k.startswith("write_") and k != "write_s")),
        ("  confidence + orchestration", f"{s['checks_and_confidence_s'] + s['orchestration_s']:.1f} s", ""),
        ("  peak RSS", f"{d['peak_rss_bytes'] / gib:.2f} GiB", ""),
    ]
    tv = d.get("topic_view")
    if tv:
        tt = tv["timings_s"]
        rows += [
            ("  topic view (hourly_topic_facts)", f"{tv['seconds']:.1f} s",
             f"{tv['fact_rows']:,} topic facts; read {tt.get('read_s', 0):.1f} s, allocate "
             f"{tt.get('allocate_s', 0):.1f} s, write {tt.get('write_s', 0):.1f} s"),
            ("  processing ratio_to_copy, both views", f"{tv['both_views_processing_ratio_to_copy']:.3f}",
             f"principal allocate + write + checks/confidence and the topic view: {tv['both_views_processing_s']:.1f} s"),
        ]
    if "backfill" in res:
        b = res["backfill"]
        rows.append((f"backfill {b['days']} days (one run)", f"{b['s_per_day']:.1f} s/day",
                     f"{b['seconds']:.0f} s, {b['fact_rows']:,} facts, peak RSS {b['peak_rss_bytes'] / gib:.2f} GiB,"
                     f" 365 days ≈ {b['projected_365_days_min']:.0f} min (COPY floor "
                     f"{b.get('copy_floor_365_days_min', 0):.0f} min)"))
        for step, secs in sorted(b["steps_s"].items(), key=lambda kv: -kv[1])[:8]:
            rows.append((f"  {step}", f"{secs / b['days']:.2f} s/day", f"{secs:.0f} s"))
    a = res.get("api_dataset")
    if a:
        rows.append(("API dataset", f"{a['days']} days", f"{a['fact_rows']:,} facts ({a['materialized_days']} "
                                                         f"materialized, {a['copied_days']} copied; facts partitions "
                                                         f"on the newest {a.get('fact_days', a['days'])} days, "
                                                         "where the /v1/costs pages are measured)"))
    for name, m in res.get("api", {}).items():
        if isinstance(m, dict):
            rows.append((f"  {name}", f"p50 {m['p50_s'] * 1000:.0f} ms", f"p95 {m['p95_s'] * 1000:.0f} ms over "
                                                                         f"{m['requests']} requests"))
    if "metrics_warmup_s" in res.get("api", {}):
        rows.append(("  /metrics ledger warm-up", f"{res['api']['metrics_warmup_s']:.0f} s", ""))
    w = max(len(r[0]) for r in rows)
    v = max(len(r[1]) for r in rows)
    lines += [f"{r[0]:<{w}}  {r[1]:>{v}}  {r[2]}" for r in rows]
    if res.get("targets"):
        lines.append("")
        lines += [f"target {k}: {'MET' if ok else 'NOT MET'}" for k, ok in res["targets"].items()]
    return "\n".join(lines)

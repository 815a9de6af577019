"""`billing-portal materialize --start D --end D2`: the whole asset graph for a day range, in process, as ONE run
recorded in the Dagster instance (visible in the Dagster UI), with concise progress on the terminal."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
import uuid

import click

from billing_portal.config import get_settings, load_dotenv_file
from billing_portal.errors import BillingPortalError, ConfigError

ASSET_JOBS = {
    "full": "chargeback_job",
    "restatement": "restatement_job",
    "usage": "usage_capture_job",
    "billing": "collect_billing_job",
    "core-objects": "collect_core_objects_job",
    "catalog-tags": "collect_catalog_tags_job",
}


def _parse_day(name: str, value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"--{name} must be a date YYYY-MM-DD, got {value!r}") from None


def validate_range(start: dt.date, end: dt.date, first: dt.date, today: dt.date) -> tuple[str, str]:
    """[start, end) → the inclusive partition key range, or a ConfigError saying what is wrong."""
    if start >= end:
        raise ConfigError(f"--start ({start}) must be before --end ({end}); --end is exclusive")
    if start < first:
        raise ConfigError(f"--start ({start}) is before BILLING_START_DATE ({first}), the first daily partition")
    newest = today - dt.timedelta(days=1)
    if end - dt.timedelta(days=1) > newest:
        raise ConfigError(f"--end ({end}) is after the newest complete day: the last partition is {newest}, "
                          f"so --end can be at most {today}")
    return start.isoformat(), (end - dt.timedelta(days=1)).isoformat()


def _error_message(error) -> str:
    """The most useful line of a Dagster SerializableErrorInfo chain: our own one-line errors win."""
    chain = []
    while error is not None:
        chain.append(error)
        error = error.cause or getattr(error, "context", None)
    for err in chain:
        if err.cls_name and err.cls_name.endswith(("Error", "Exception")) and "billing_portal" in "".join(err.stack):
            msg = err.message.strip()
            if ": " in msg.split("\n")[0]:
                head, _, tail = msg.split("\n")[0].partition(": ")
                if head.endswith(err.cls_name):
                    return tail
            return msg.split("\n")[0]
    return chain[-1].message.strip().split("\n")[0] if chain else "unknown error"


class Progress:
    """Polls the run's event log and prints one line per interesting event."""

    def __init__(self, instance, run_id: str, echo=click.echo):
        self.instance, self.run_id, self.echo = instance, run_id, echo
        self.seen = 0
        self.failures: list[str] = []
        self.started = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.poll()

    def _loop(self):
        while not self._stop.wait(0.5):
            try:
                self.poll()
            except Exception:
                pass

    def poll(self):
        records = self.instance.all_logs(self.run_id)
        for rec in records[self.seen:]:
            self._print(rec)
        self.seen = len(records)

    def _print(self, rec):
        t = f"[{time.monotonic() - self.started:6.1f}s]"
        ev = rec.dagster_event
        if ev is None:
            if rec.level >= 20 and rec.user_message:
                self.echo(f"{t}   {rec.user_message}")
            return
        kind = ev.event_type_value
        if kind == "STEP_START":
            self.echo(f"{t} ▶ {ev.step_key}")
        elif kind == "STEP_SUCCESS":
            self.echo(f"{t} ✓ {ev.step_key}")
        elif kind == "STEP_FAILURE":
            msg = _error_message(ev.event_specific_data.error)
            self.failures.append(f"{ev.step_key}: {msg}")
            self.echo(f"{t} ✗ {ev.step_key}: {msg}")
        elif kind == "ASSET_CHECK_EVALUATION":
            data = ev.event_specific_data
            status = "passed" if data.passed else f"FAILED ({data.severity.value})"
            self.echo(f"{t}   check {data.asset_key.to_user_string()}:{data.check_name} {status}")


def open_instance():
    """The Dagster instance of DAGSTER_HOME; a dagster.yaml Dagster refuses is one line, not a traceback."""
    import yaml
    from dagster import DagsterError, DagsterInstance

    where = f"the Dagster instance in DAGSTER_HOME ({os.environ.get('DAGSTER_HOME')}) cannot be loaded"
    try:
        return DagsterInstance.get()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{where}: dagster.yaml is not valid YAML{at} ({getattr(exc, 'problem', None) or exc})") \
            from None
    except DagsterError as exc:
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()] or [type(exc).__name__]
        # "Errors whilst loading dagster instance config at dagster.yaml." then "Error 1: …. Expected: <schema>"
        detail = lines[1] if len(lines) > 1 and lines[1].startswith("Error") else lines[0]
        raise ConfigError(f"{where}: {detail.split(' Expected:')[0]}") from None


def run_materialization(start: dt.date, end: dt.date, job_name: str = "chargeback_job", echo=click.echo,
                        show_warehouse: bool = True) -> str:
    """Materialize [start, end) as one run; returns the run id. Raises BillingPortalError on failure.
    `show_warehouse=False` when the caller has already said which warehouse (the demo)."""
    load_dotenv_file()
    settings = get_settings()
    settings.require("CCLOUD_API_KEY")
    settings.require("CCLOUD_API_SECRET")
    today = (settings.BILLING_PORTAL_NOW or dt.datetime.now(dt.UTC)).date()
    first_key, last_key = validate_range(start, end, settings.BILLING_START_DATE, today)

    from billing_portal.dagster_home import ensure_dagster_home
    from billing_portal.resources import AllocationRulesResource
    from billing_portal.warehouse.connection import describe_url, resolve_database_url
    from billing_portal.warehouse.migrate import migrate

    # The mapping and allocation files are read late in the graph (ownership, facts): check them before any
    # collection starts, so a typo costs a second, not a run that fails after rewriting the bill.
    rules = AllocationRulesResource(
        mapping_file=str(settings.BILLING_PORTAL_MAPPING_FILE) if settings.BILLING_PORTAL_MAPPING_FILE else None,
        allocation_file=str(settings.BILLING_PORTAL_ALLOCATION_FILE) if settings.BILLING_PORTAL_ALLOCATION_FILE
        else None)
    rules.mapping()
    rules.config()
    from billing_portal.confluent.registries import load_credentials

    load_credentials(settings.SCHEMA_REGISTRY_CREDENTIALS_FILE)
    from billing_portal.confluent.flink import load_credentials as load_flink_credentials

    load_flink_credentials(settings.FLINK_CREDENTIALS_FILE)

    ensure_dagster_home(settings.home)
    url = resolve_database_url(settings)
    migrate(url)  # fail early with a clear message if the warehouse is unreachable
    if show_warehouse:
        echo(f"warehouse: {describe_url(url)}")

    from billing_portal.definitions import load_defs
    from billing_portal.jobs import RANGE_END_TAG, RANGE_START_TAG

    job = load_defs().resolve_job_def(job_name)
    run_id = str(uuid.uuid4())
    echo(f"materializing {job_name} for {first_key} … {last_key} ({(end - start).days} day(s)) as run {run_id}")
    with open_instance() as instance:
        with Progress(instance, run_id, echo) as progress:
            result = job.execute_in_process(
                instance=instance, run_id=run_id, raise_on_error=False,
                tags={RANGE_START_TAG: first_key, RANGE_END_TAG: last_key},
                run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
            )
    if not result.success:
        detail = progress.failures[0] if progress.failures else "see the run in the Dagster UI"
        raise BillingPortalError(f"materialization failed: {detail} (run {run_id})")
    echo(f"done in {time.monotonic() - progress.started:.1f} s")
    return run_id


@click.command("materialize")
@click.option("--start", "start", required=True, help="First day (YYYY-MM-DD, UTC).")
@click.option("--end", "end", required=True, help="Day after the last one (exclusive, YYYY-MM-DD).")
@click.option("--job", "job", type=click.Choice(sorted(ASSET_JOBS)), default="full", show_default=True,
              help="Which part of the graph: full (chargeback_job), restatement (billing + re-allocation from "
                   "stored usage and history), usage (capture usage still inside the Metrics API's retention), or "
                   "one source.")
def materialize_command(start: str, end: str, job: str) -> None:
    """Materialize the asset graph for [START, END) through Dagster, in process, as one run."""
    run_materialization(_parse_day("start", start), _parse_day("end", end), ASSET_JOBS[job])

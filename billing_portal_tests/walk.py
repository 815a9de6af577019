"""Driving the product day by day the way the Dagster daemon does, against a simulator whose clock moves.

`Deployment` holds a warehouse, a simulator (with a `MovableClock`) and an ephemeral Dagster instance. `at(t)` moves
both clocks (the simulator's and the pipeline's `ClockResource`); `tick(schedule, t)` evaluates a schedule at `t` as
the daemon would and executes every run request it returns, in process, with the product's own definitions (assets,
jobs, schedules) and resources pointed at the simulator.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from dagster import DagsterInstance, Definitions, build_schedule_context

from billing_portal.simulator.server import SimulatorHandle
from billing_portal.simulator.testing import MovableClock

SIM_KEYS = {"api_key": "SIMKEY", "api_secret": "SIMSECRET"}


_KEY_FILES: dict[str, str] = {}


def _registry_keys_file(sim_url: str) -> str:
    """A SCHEMA_REGISTRY_CREDENTIALS_FILE with every registry's key of the simulator (written once per simulator)."""
    if sim_url not in _KEY_FILES:
        import tempfile

        import yaml

        from billing_portal_tests.pipeline import simulator_registry_keys

        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            yaml.safe_dump(simulator_registry_keys(sim_url), f)
        _KEY_FILES[sim_url] = f.name
    return _KEY_FILES[sim_url]


def _flink_keys_file(sim_url: str) -> str:
    """A FLINK_CREDENTIALS_FILE with every region's Flink key of the simulator (written once per simulator)."""
    key = ("flink", sim_url)
    if key not in _KEY_FILES:
        import tempfile

        import yaml

        from billing_portal_tests.pipeline import simulator_flink_keys

        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            yaml.safe_dump(simulator_flink_keys(sim_url), f)
        _KEY_FILES[key] = f.name
    return _KEY_FILES[key]


def resources(sim_url: str, database_url: str, now: dt.datetime, **overrides) -> dict:
    from billing_portal.resources import (
        AllocationRulesResource,
        ClockResource,
        ConfluentCloudResource,
        FlinkResource,
        SchemaRegistryResource,
        UsagePrometheusResource,
        WarehouseResource,
    )

    out = {
        "warehouse": WarehouseResource(database_url=database_url),
        "schema_registry": SchemaRegistryResource(credentials_file=_registry_keys_file(sim_url)),
        "confluent": ConfluentCloudResource(api_url=sim_url, telemetry_url=sim_url, max_attempts=3,
                                            retry_budget_seconds=10, **SIM_KEYS),
        "flink": FlinkResource(endpoint_template=sim_url.rstrip("/") + "/flink/{cloud}/{region}",
                               credentials_file=_flink_keys_file(sim_url), max_attempts=3, retry_budget_seconds=10),
        "usage_prometheus": UsagePrometheusResource(url=None),
        "clock": ClockResource(now=now.isoformat()),
        "allocation_rules": AllocationRulesResource(),
    }
    out.update(overrides)
    return out


@dataclass
class Deployment:
    sim: SimulatorHandle
    clock: MovableClock
    database_url: str
    instance: DagsterInstance
    overrides: dict = field(default_factory=dict)
    runs: list[tuple[str, str, dict]] = field(default_factory=list)  # (at, job, tags) of every executed run

    def defs(self) -> Definitions:
        from billing_portal.definitions import load_defs

        base = load_defs()  # the defs folder's assets, jobs and schedules, with this deployment's resources
        return Definitions(assets=base.assets, jobs=base.jobs, schedules=base.schedules,
                           resources=resources(self.sim.url, self.database_url, self.clock(), **self.overrides))

    def at(self, t: dt.datetime) -> None:
        self.clock.set(t)

    def run(self, job_name: str, *, partition_key: str | None = None, tags: Mapping[str, str] | None = None,
            first: dt.date | None = None, last: dt.date | None = None) -> None:
        """Execute one run of `job_name` now (a partition key, a range's tags, or first/last days inclusive)."""
        from billing_portal.jobs import RANGE_END_TAG, RANGE_START_TAG

        tags = dict(tags or {})
        if first is not None:
            tags.update({RANGE_START_TAG: first.isoformat(), RANGE_END_TAG: (last or first).isoformat()})
        job = self.defs().resolve_job_def(job_name)
        result = job.execute_in_process(instance=self.instance, partition_key=partition_key, tags=tags,
                                        raise_on_error=True,
                                        run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}})
        assert result.success, job_name
        self.runs.append((self.clock().isoformat(), job_name, {**tags, "partition": partition_key}))

    def tick(self, schedule_name: str, t: dt.datetime) -> int:
        """Evaluate the schedule at `t` and run what it asks for; returns the number of runs."""
        self.at(t)
        defs = self.defs()
        sched = defs.resolve_schedule_def(schedule_name)
        ctx = build_schedule_context(instance=self.instance, scheduled_execution_time=t,
                                     resources={"warehouse": defs.resources["warehouse"]})
        result = sched.evaluate_tick(ctx)
        for req in result.run_requests or []:
            self.run(sched.job_name, partition_key=req.partition_key, tags=req.tags)
        return len(result.run_requests or [])

    def daemon_day(self, day: dt.date) -> None:
        """What the daemon does the day after `day`: capture usage at 00:30, the daily job at 06:00, the
        restatement window at 06:30."""
        base = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        self.tick("usage_capture_schedule", base + dt.timedelta(minutes=30))
        self.tick("daily_chargeback_schedule", base + dt.timedelta(hours=6))
        self.tick("restatement_window_schedule", base + dt.timedelta(hours=6, minutes=30))

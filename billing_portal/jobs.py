"""Jobs and schedules. Every job is partitioned daily; a ranged run (backfill) is a single run.

Each source is collected by its nature (billing_portal/history/specs.py), and the jobs say what each run touches:

| job | assets | collects |
|---|---|---|
| `chargeback_job` (daily schedule 06:00, backfills) | everything | billing; objects and catalog once per day (observed); usage still missing inside the Metrics API's retention |
| `usage_capture_job` (00:30, with catch-up) | principal_usage, topic_usage, flink_statement_usage | usage of complete days not captured yet, while the Metrics API has it |
| `restatement_job` (06:30, the trailing window) | billing, ownership, facts, confidence, the /metrics ledger | billing only: re-allocates from stored usage and history |
| `collect_*_job` | one source group | that source |
"""

from __future__ import annotations

import datetime as dt

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SkipReason,
    build_schedule_from_partitioned_job,
    define_asset_job,
    schedule,
)

from billing_portal.config import get_settings
from billing_portal.resources import WarehouseResource

# Dagster's run tags for a single run over a partition range (what a single-run backfill launches with).
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"

chargeback_job = define_asset_job(
    "chargeback_job", selection=AssetSelection.all(),
    description="The whole graph for a day range: objects and catalog (observed once per day), billing, usage still "
                "recoverable, ownership, facts, confidence.")
restatement_job = define_asset_job(
    "restatement_job", selection=AssetSelection.groups("billing", "allocation", "publish"),
    description="Re-reads billing (restated or late bills) and re-allocates from the stored usage and object/catalog "
                "history. Never collects objects, catalog or usage.")
usage_capture_job = define_asset_job(
    "usage_capture_job", selection=AssetSelection.groups("usage"),
    description="Principal usage of complete days, captured while the Metrics API still has it (about 7 days).")
collect_billing_job = define_asset_job(
    "collect_billing_job", selection=AssetSelection.groups("billing"),
    description="Billing costs only.")
collect_core_objects_job = define_asset_job(
    "collect_core_objects_job", selection=AssetSelection.groups("core_objects"),
    description="Core objects only (orgs, environments, clusters, principals, keys, connectors, ksqlDB, Flink, SR).")
collect_catalog_tags_job = define_asset_job(
    "collect_catalog_tags_job", selection=AssetSelection.groups("catalog"),
    description="Stream Governance catalog tags and business metadata only.")

JOBS = [chargeback_job, restatement_job, usage_capture_job, collect_billing_job, collect_core_objects_job,
        collect_catalog_tags_job]


def ranged(start: dt.date, end: dt.date, run_key: str) -> RunRequest:
    """One run over the partitions [start, end] (inclusive), as Dagster's single-run backfills are launched."""
    return RunRequest(run_key=run_key, tags={RANGE_START_TAG: start.isoformat(), RANGE_END_TAG: end.isoformat()})


# The newest complete UTC day, every day at 06:00 UTC.
# All three schedules run by default once the Dagster daemon is up (turn them off in the UI's Automation tab).
daily_schedule = build_schedule_from_partitioned_job(chargeback_job, name="daily_chargeback_schedule",
                                                     hour_of_day=6, minute_of_hour=0,
                                                     default_status=DefaultScheduleStatus.RUNNING)


@schedule(job=restatement_job, cron_schedule="30 6 * * *", execution_timezone="UTC",
          name="restatement_window_schedule", default_status=DefaultScheduleStatus.RUNNING)
def restatement_window_schedule(context: ScheduleEvaluationContext):
    """Billing arrives up to 72 h late and can change after: re-read billing for the trailing window (the
    RESTATEMENT_WINDOW_DAYS days before the newest complete day) and re-allocate, in one run. A changed day records
    its before/after totals in the materialization metadata. Usage and history are read from the store."""
    window = get_settings().RESTATEMENT_WINDOW_DAYS
    if window <= 0:
        return SkipReason("RESTATEMENT_WINDOW_DAYS is 0")
    today = context.scheduled_execution_time.astimezone(dt.UTC).date()
    newest = today - dt.timedelta(days=1)
    start = max(newest - dt.timedelta(days=window), get_settings().BILLING_START_DATE)
    end = newest - dt.timedelta(days=1)
    if end < start:
        return SkipReason("no complete day before the newest one yet")
    return ranged(start, end, f"restate-{start}-{end}")


def days_to_capture(warehouse: WarehouseResource, now: dt.datetime, retention_days: int,
                    first_day: dt.date) -> list[dt.date]:
    """Complete days still inside the Metrics API's retention whose usage is not fully captured (a day never
    processed, or with a known cluster without a capture)."""
    from billing_portal.assets.usage.assets import METRIC_SETS, stored_captures  # noqa: PLC0415
    from billing_portal.assets.usage.capture import DayState, day_state  # noqa: PLC0415

    processed = {}
    for asset_name in METRIC_SETS:
        processed[asset_name] = {r[0] for r in warehouse.query(
            "SELECT usage_date FROM partition_status WHERE asset_name = %s"
            " AND details ->> 'state' IN ('recoverable', 'expired')", (asset_name,))}
    out = []
    for back in range(retention_days, 0, -1):
        day = now.date() - dt.timedelta(days=back)
        if day < first_day or day_state(day, now, retention_days) is not DayState.RECOVERABLE:
            continue
        for asset_name, ms in METRIC_SETS.items():
            stored = stored_captures(warehouse, day, ms)
            if day not in processed[asset_name] or any(c not in stored for c in ms.resources_for_day(warehouse, day)):
                out.append(day)
                break
    return out


@schedule(job=usage_capture_job, cron_schedule="30 0 * * *", execution_timezone="UTC",
          name="usage_capture_schedule", default_status=DefaultScheduleStatus.RUNNING)
def usage_capture_schedule(context: ScheduleEvaluationContext, warehouse: WarehouseResource):
    """Usage expires from the Metrics API after about METRICS_RETENTION_DAYS: capture yesterday as soon as it is
    complete, together with any earlier day still inside the retention whose capture was missed (one ranged run from
    the oldest such day to yesterday)."""
    settings = get_settings()
    now = context.scheduled_execution_time.astimezone(dt.UTC)
    missing = days_to_capture(warehouse, now, settings.METRICS_RETENTION_DAYS, settings.BILLING_START_DATE)
    if not missing:
        return SkipReason("every complete day inside the Metrics API's retention is captured")
    return ranged(missing[0], missing[-1], f"usage-{missing[0]}-{missing[-1]}-{now:%Y%m%d%H%M}")


SCHEDULES = [daily_schedule, restatement_window_schedule, usage_capture_schedule]

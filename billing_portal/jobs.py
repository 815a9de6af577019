"""Jobs and schedules. Every job is partitioned daily; a ranged run (backfill) is a single run."""

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
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from billing_portal.assets.partitions import DAILY
from billing_portal.config import get_settings

OBJECT_ASSETS = ["organizations", "environments", "kafka_clusters", "service_accounts", "users", "api_keys",
                 "connectors", "ksqldb_clusters", "flink_compute_pools", "schema_registries"]

chargeback_job = define_asset_job(
    "chargeback_job", selection=AssetSelection.all(), partitions_def=DAILY,
    description="The whole graph for a day range: objects, catalog, billing, usage, ownership, facts, confidence.")
collect_billing_job = define_asset_job(
    "collect_billing_job", selection=AssetSelection.assets("billing_costs"), partitions_def=DAILY,
    description="Billing costs only.")
collect_core_objects_job = define_asset_job(
    "collect_core_objects_job", selection=AssetSelection.assets(*OBJECT_ASSETS), partitions_def=DAILY,
    description="Core objects only (orgs, environments, clusters, principals, keys, connectors, ksqlDB, Flink, SR).")
collect_catalog_tags_job = define_asset_job(
    "collect_catalog_tags_job", selection=AssetSelection.assets("catalog_tags"), partitions_def=DAILY,
    description="Stream Governance catalog tags and business metadata only.")

JOBS = [chargeback_job, collect_billing_job, collect_core_objects_job, collect_catalog_tags_job]

# The newest complete UTC day, every day at 06:00 UTC.
# Both schedules run by default once the Dagster daemon is up (turn them off in the UI's Automation tab).
daily_schedule = build_schedule_from_partitioned_job(chargeback_job, name="daily_chargeback_schedule",
                                                     hour_of_day=6, minute_of_hour=0,
                                                     default_status=DefaultScheduleStatus.RUNNING)


@schedule(job=chargeback_job, cron_schedule="30 6 * * *", execution_timezone="UTC",
          name="restatement_window_schedule", default_status=DefaultScheduleStatus.RUNNING)
def restatement_window_schedule(context: ScheduleEvaluationContext):
    """Billing arrives up to 72 h late and can change after: re-materialize the trailing window (the
    RESTATEMENT_WINDOW_DAYS days before the newest complete day) in one run. A changed day records its before/after
    totals in the materialization metadata."""
    window = get_settings().RESTATEMENT_WINDOW_DAYS
    if window <= 0:
        return SkipReason("RESTATEMENT_WINDOW_DAYS is 0")
    today = context.scheduled_execution_time.astimezone(dt.UTC).date()
    newest = today - dt.timedelta(days=1)
    start = max(newest - dt.timedelta(days=window), get_settings().BILLING_START_DATE)
    end = newest - dt.timedelta(days=1)
    if end < start:
        return SkipReason("no complete day before the newest one yet")
    # A ranged single run is expressed by Dagster's partition-range tags (RunRequest has no range argument).
    return RunRequest(run_key=f"restate-{start}-{end}",
                      tags={ASSET_PARTITION_RANGE_START_TAG: start.isoformat(),
                            ASSET_PARTITION_RANGE_END_TAG: end.isoformat()})


SCHEDULES = [daily_schedule, restatement_window_schedule]

"""The whole graph's jobs and schedules: `chargeback_job` (the daily schedule at 06:00 UTC, backfills) and
`restatement_job` (the trailing window at 06:30 UTC). Every job is partitioned daily (its assets' partitions); a
ranged run (backfill) is a single run. The source jobs live with their source (billing/, core_objects/, catalog/,
usage/)."""

from __future__ import annotations

import datetime as dt

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    ScheduleEvaluationContext,
    SkipReason,
    build_schedule_from_partitioned_job,
    define_asset_job,
    schedule,
)

from billing_portal.config import get_settings
from billing_portal.defs.partitions import ranged

chargeback_job = define_asset_job(
    "chargeback_job", selection=AssetSelection.all(),
    description="The whole graph for a day range: objects and catalog (observed once per day), billing, usage still "
                "recoverable, ownership, facts, confidence.")
restatement_job = define_asset_job(
    "restatement_job", selection=AssetSelection.groups("billing", "allocation", "publish"),
    description="Re-reads billing (restated or late bills) and re-allocates from the stored usage and object/catalog "
                "history. Never collects objects, catalog or usage.")


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

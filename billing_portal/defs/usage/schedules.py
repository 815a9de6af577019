"""Usage capture: its job and its daily schedule with catch-up (usage expires from the Metrics API after about
METRICS_RETENTION_DAYS, so it is captured as soon as a day is complete, independently of the bill)."""

from __future__ import annotations

import datetime as dt

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    ScheduleEvaluationContext,
    SkipReason,
    define_asset_job,
    schedule,
)

from billing_portal.config import get_settings
from billing_portal.defs.partitions import ranged
from billing_portal.resources import WarehouseResource

usage_capture_job = define_asset_job(
    "usage_capture_job", selection=AssetSelection.groups("usage"),
    description="Principal usage of complete days, captured while the Metrics API still has it (about 7 days).")


def days_to_capture(warehouse: WarehouseResource, now: dt.datetime, retention_days: int,
                    first_day: dt.date) -> list[dt.date]:
    """Complete days still inside the Metrics API's retention whose usage is not fully captured (a day never
    processed, or with a known cluster without a capture)."""
    from billing_portal.defs.usage.assets import METRIC_SETS, stored_captures
    from billing_portal.defs.usage.capture import DayState, day_state

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

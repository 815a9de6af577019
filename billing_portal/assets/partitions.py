"""Daily UTC partitions from BILLING_START_DATE, and the days a (possibly ranged) run covers."""

from __future__ import annotations

import datetime as dt

from dagster import AssetExecutionContext, BackfillPolicy, DailyPartitionsDefinition

from billing_portal.config import get_settings

# One run materializes a whole backfill range: assets read context.partition_time_window.
SINGLE_RUN = BackfillPolicy.single_run()


def daily_partitions(start: dt.date | None = None) -> DailyPartitionsDefinition:
    start = start or get_settings().BILLING_START_DATE
    return DailyPartitionsDefinition(start_date=start.isoformat(), timezone="UTC")


DAILY = daily_partitions()


def window_days(context: AssetExecutionContext) -> list[dt.date]:
    """Every day in the run's partition window (one day for a single partition, many for a ranged backfill)."""
    window = context.partition_time_window
    start, end = window.start.date(), window.end.date()
    return [start + dt.timedelta(days=i) for i in range((end - start).days)]


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    lo = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    return lo, lo + dt.timedelta(days=1)

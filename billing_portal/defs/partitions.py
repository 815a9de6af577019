"""Daily UTC partitions from BILLING_START_DATE, and the days a (possibly ranged) run covers."""

from __future__ import annotations

import datetime as dt
import warnings

from dagster import (
    AssetExecutionContext,
    BackfillPolicy,
    BetaWarning,
    DailyPartitionsDefinition,
    Definitions,
    PreviewWarning,
    RunRequest,
)

from billing_portal.config import get_settings

# One run materializes a whole backfill range: assets read context.partition_time_window. Dagster calls the
# `backfill_policy` parameter beta and says so once per asset that takes it, in every process that loads the
# definitions (the demo, `materialize`, the webserver, the daemon): a deliberate choice here, so that one BetaWarning
# is silenced (every other warning still shows). Every asset module imports SINGLE_RUN from here, so the filter is in
# place before their decorators run.
warnings.filterwarnings("ignore", message=r"Parameter `backfill_policy` of function `asset`", category=BetaWarning)
SINGLE_RUN = BackfillPolicy.single_run()


def daily_partitions(start: dt.date | None = None) -> DailyPartitionsDefinition:
    start = start or get_settings().BILLING_START_DATE
    return DailyPartitionsDefinition(start_date=start.isoformat(), timezone="UTC")


# Every asset is partitioned by UTC day from BILLING_START_DATE. That first day is configuration, read when the code
# location loads (billing_portal/definitions.py), never when these modules are imported: the assets are declared
# with `DAILY`, whose first day is a placeholder, and `bind_partitions` gives them `daily_partitions()` (Settings).
DAILY = DailyPartitionsDefinition(start_date="2000-01-01", timezone="UTC")
# Definitions.map_asset_specs is what Dagster offers for this, marked preview: said once per load, deliberately.
warnings.filterwarnings("ignore", message=r".*map_(resolved_)?asset_specs.*", category=PreviewWarning)


def bind_partitions(defs: Definitions, start: dt.date | None = None) -> Definitions:
    """`defs` with every daily-partitioned asset partitioned from `start` (default: BILLING_START_DATE)."""
    daily = daily_partitions(start)
    return defs.map_asset_specs(
        func=lambda spec: spec.replace_attributes(partitions_def=daily) if spec.partitions_def is not None else spec)


def window_days(context: AssetExecutionContext) -> list[dt.date]:
    """Every day in the run's partition window (one day for a single partition, many for a ranged backfill)."""
    window = context.partition_time_window
    start, end = window.start.date(), window.end.date()
    return [start + dt.timedelta(days=i) for i in range((end - start).days)]


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    lo = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    return lo, lo + dt.timedelta(days=1)


# Dagster's run tags for a single run over a partition range (what a single-run backfill launches with).
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def ranged(start: dt.date, end: dt.date, run_key: str) -> RunRequest:
    """One run over the partitions [start, end] (inclusive), as Dagster's single-run backfills are launched."""
    return RunRequest(run_key=run_key, tags={RANGE_START_TAG: start.isoformat(), RANGE_END_TAG: end.isoformat()})

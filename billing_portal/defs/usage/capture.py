"""When a day's usage can be captured, and what the store says about it (pure functions; no I/O).

The Metrics API keeps about `retention_days` days. For day D = [D 00:00, D+1 00:00) UTC at instant `now`:

- **not complete** while `now` < D+1 00:00 + SETTLE (points appear minutes after the fact): never captured, so a
  partial day is never stored;
- **recoverable** while D 00:00 >= `now` − retention: the whole day is still answered;
- **expired** once D 00:00 < `now` − retention: never queried again; what was captured stays as it is.

A cluster-day captured complete is immutable: later runs never re-query or replace it (so an emptier or partial
answer can never overwrite it). Outside the retention nothing is ever written for it, except, once, a capture from
the Prometheus usage history when none exists.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

SETTLE = dt.timedelta(minutes=15)


class DayState(StrEnum):
    NOT_COMPLETE = "not_complete"
    RECOVERABLE = "recoverable"
    EXPIRED = "expired"


class UsageSource(StrEnum):
    """Per cluster-day, where its usage comes from (DayInputs.usage_sources)."""

    METRICS_API = "metrics_api"      # captured from the Metrics API while it existed
    PROMETHEUS = "prometheus"        # read from the Prometheus usage history (USAGE_PROMETHEUS_URL)
    MISSING = "missing"              # not captured yet, still recoverable
    EXPIRED = "expired"              # not captured, and the Metrics API no longer has it


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    lo = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    return lo, lo + dt.timedelta(days=1)


def day_state(day: dt.date, now: dt.datetime, retention_days: int) -> DayState:
    lo, hi = day_bounds(day)
    if now < hi + SETTLE:
        return DayState.NOT_COMPLETE
    if lo < now - dt.timedelta(days=retention_days):
        return DayState.EXPIRED
    return DayState.RECOVERABLE


def hours_left(day: dt.date, now: dt.datetime, retention_days: int) -> float:
    """Hours until the day leaves the Metrics API's retention (0 once it has)."""
    lo, _ = day_bounds(day)
    return max(0.0, (lo + dt.timedelta(days=retention_days) - now).total_seconds() / 3600)


@dataclass(frozen=True)
class Capture:
    """A stored capture of one cluster-day (table usage_capture)."""

    cluster_id: str
    source: str
    complete: bool
    row_count: int


def clusters_to_query(clusters: list[str], stored: dict[str, Capture], state: DayState) -> list[str]:
    """The clusters the Metrics API should be asked about: only on a recoverable day, only those without a complete
    capture."""
    if state is not DayState.RECOVERABLE:
        return []
    return [c for c in clusters if c not in stored or not stored[c].complete]


def source_of(cluster: str, stored: dict[str, Capture], state: DayState) -> UsageSource:
    cap = stored.get(cluster)
    if cap is not None:
        return UsageSource(cap.source)
    return UsageSource.EXPIRED if state is DayState.EXPIRED else UsageSource.MISSING

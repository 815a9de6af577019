"""Day ranges of the daily endpoints (/v1/confidence, /v1/reconciliation): the days of [from_ts, to_ts) (or the
aliases start/end, inclusive), loaded by `schemas.DayRange` as inclusive `start`/`end`, with defaults."""

from __future__ import annotations

import datetime as dt

from billing_portal.sidecar.schemas import MAX_DAY_RANGE_DAYS

DEFAULT_DAYS = 30


def resolve_days(start: dt.date | None, end: dt.date | None, newest: dt.date | None) -> tuple[dt.date, dt.date]:
    """Fill in missing bounds: end = the newest day with data (yesterday when there is none), start = 29 days
    before end; an open range never exceeds the maximum."""
    if end is None:
        end = newest or (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1))
        if start is not None:
            end = max(start, min(end, start + dt.timedelta(days=MAX_DAY_RANGE_DAYS - 1)))
    if start is None:
        start = end - dt.timedelta(days=DEFAULT_DAYS - 1)
    return start, end


def range_fields(start: dt.date, end: dt.date) -> dict:
    """The answered range in both forms: half-open timestamps and inclusive days."""
    from billing_portal.sidecar.encode import day, ts
    from billing_portal.sidecar.query import day_start

    return {"from_ts": ts(day_start(start)), "to_ts": ts(day_start(end + dt.timedelta(days=1))),
            "start": day(start), "end": day(end)}

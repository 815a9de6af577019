"""Calendar months of dates and UTC datetimes: a month is keyed by its first day (its first instant for a datetime)."""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

D = TypeVar("D", dt.date, dt.datetime)


def month_start(when: D) -> D:
    """The first day of `when`'s month (a datetime: its first instant, in `when`'s time zone)."""
    if isinstance(when, dt.datetime):
        return when.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return when.replace(day=1)


def next_month(when: D) -> D:
    """The start of the month after `when`'s."""
    return (month_start(when) + dt.timedelta(days=32)).replace(day=1)

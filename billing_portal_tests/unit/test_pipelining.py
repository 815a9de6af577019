"""prepared_days: every day's preparation in order, the next one computed while the caller handles the current one,
errors raised at their day, nothing left running when the caller stops early."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest

from billing_portal.defs.pipelining import prepared_days

DAYS = [dt.date(2024, 5, 1) + dt.timedelta(days=i) for i in range(5)]


def test_days_come_in_order_and_the_next_is_prepared_meanwhile():
    started: dict[dt.date, float] = {}

    def prepare(day):
        started[day] = time.monotonic()
        time.sleep(0.05)
        return day

    seen = []
    for day in prepared_days(DAYS, prepare):
        handled_at = time.monotonic()
        time.sleep(0.1)  # the caller writes the day
        seen.append(day)
        nxt = day + dt.timedelta(days=1)
        if nxt in started:
            assert started[nxt] <= handled_at + 0.05  # the next day was being prepared while this one was handled
    assert seen == DAYS


def test_an_error_surfaces_at_its_day():
    def prepare(day):
        if day == DAYS[2]:
            raise ValueError(f"bad {day}")
        return day

    seen = []
    with pytest.raises(ValueError, match="bad 2024-05-03"):
        for day in prepared_days(DAYS, prepare):
            seen.append(day)
    assert seen == DAYS[:2]


def test_stopping_early_leaves_no_thread_behind():
    def prepare(day):
        time.sleep(0.02)
        return day

    for day in prepared_days(DAYS, prepare):
        if day == DAYS[1]:
            break
    time.sleep(0.2)
    assert not [t for t in threading.enumerate() if t.name.startswith("prepare-day")]


def test_one_day_is_prepared_inline():
    assert list(prepared_days(DAYS[:1], lambda d: (d, threading.current_thread().name))) == \
        [(DAYS[0], threading.current_thread().name)]

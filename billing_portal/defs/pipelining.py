"""Both cores busy across the days of a ranged run: the next day is read and allocated on a thread while the current
one is written (PostgreSQL takes the COPY and the index builds on the other core). At most two days are in memory:
the one being written and the one being prepared."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def prepared_days(days: Sequence[dt.date], prepare: Callable[[dt.date], T]) -> Iterator[T]:
    """`prepare(day)` for each day in order; the next day's is computed while the caller handles this one. An error
    in `prepare` surfaces when its day is reached; if the caller stops early, the pending day is dropped."""
    if len(days) <= 1:
        for day in days:
            yield prepare(day)
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="prepare-day") as pool:
        pending: Future[T] = pool.submit(prepare, days[0])
        try:
            for i in range(len(days)):
                current = pending.result()
                pending = pool.submit(prepare, days[i + 1]) if i + 1 < len(days) else None
                yield current
                del current
        finally:
            if pending is not None:
                pending.cancel()

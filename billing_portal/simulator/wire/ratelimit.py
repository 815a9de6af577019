"""Rate-limit accounting and headers.

Fixed 60-second windows per (bucket, key). api.confluent.cloud paths carry ``X-RateLimit-Limit/-Remaining/-Reset``
and the telemetry API ``rateLimit-limit/-remaining/-reset``; the reset is in *relative seconds*, as live. A limit
of ``None`` is advertised (as ``ADVERTISED``) but never enforced, so benchmarks are not throttled unless asked to.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

WINDOW_SECONDS = 60.0
ADVERTISED = 10_000


@dataclass(frozen=True)
class RateState:
    limit: int
    remaining: int
    reset: int  # seconds until the window resets
    exceeded: bool


class RateLimiter:
    def __init__(self, limits: dict[str, int | None], clock: Callable[[], float] = time.monotonic):
        self._limits = limits
        self._clock = clock
        self._windows: dict[tuple[str, str], tuple[float, int]] = {}
        self._lock = threading.Lock()

    def hit(self, bucket: str, key: str) -> RateState:
        enforced = self._limits.get(bucket)
        limit = enforced if enforced is not None else ADVERTISED
        now = self._clock()
        with self._lock:
            start, count = self._windows.get((bucket, key), (now, 0))
            if now - start >= WINDOW_SECONDS:
                start, count = now, 0
            count += 1
            self._windows[(bucket, key)] = (start, count)
        reset = max(1, math.ceil(start + WINDOW_SECONDS - now))
        exceeded = enforced is not None and count > enforced
        return RateState(limit=limit, remaining=max(0, limit - count), reset=reset, exceeded=exceeded)


def headers(bucket: str, state: RateState) -> list[tuple[str, str]]:
    if bucket == "telemetry":
        names = ("rateLimit-limit", "rateLimit-remaining", "rateLimit-reset")
    elif bucket == "api":
        names = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
    else:
        return []
    return list(zip(names, (str(state.limit), str(state.remaining), str(state.reset)), strict=True))

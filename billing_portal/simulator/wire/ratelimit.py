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


ENDPOINT_SHARE = 5  # live telemetry: an endpoint-scope window beside the global one, a fifth of its size


def headers(bucket: str, state: RateState, two_sets: bool = False) -> list[tuple[str, str]]:
    """The bucket's rate-limit headers. `two_sets` (telemetry, live flavor): a global and an endpoint-scope set in
    each header, e.g. `rateLimit-remaining: 299, 59` — the smaller remaining is the one that binds."""
    if bucket == "telemetry":
        names = ("rateLimit-limit", "rateLimit-remaining", "rateLimit-reset")
    elif bucket == "api":
        names = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
    else:
        return []
    values = [str(state.limit), str(state.remaining), str(state.reset)]
    if two_sets and bucket == "telemetry":
        limit2 = max(1, state.limit // ENDPOINT_SHARE)
        used = state.limit - state.remaining
        values = [f"{state.limit}, {limit2}", f"{state.remaining}, {max(0, limit2 - used)}",
                  f"{state.reset}, {state.reset}"]
    return list(zip(names, values, strict=True))

"""Retry policy for Confluent Cloud calls: what is retryable, how long to wait, when to give up.

Pure functions and small classes (no I/O) so that the policy can be unit-tested without a server; `http.py` plugs
them into `tenacity`.

Wait order (first match wins), as Confluent asks of API clients:
1. `Retry-After` (seconds, or an HTTP-date), sent with a 429 and sometimes with a 503;
2. the rate-limit reset header — `X-RateLimit-Reset` on api.confluent.cloud, `rateLimit-reset` on the telemetry
   host (both spellings are read on every host) — when the remaining count is 0 or the status is 429. The value is
   **relative seconds**; a value that can only be an epoch timestamp (> 10^9) is converted, to tolerate either;
3. capped exponential backoff with full jitter: `uniform(0, min(cap, base * 2**(attempt-1)))`.

Waits asked for by the server (1, 2) are honoured as given plus at most 10 % jitter (so that a thread pool does not
retry in lock-step), and never shortened. If such a wait does not fit in the remaining sleep budget the call fails at
once with a message saying so, instead of sleeping for a retry it can never make. Our own backoff (3) is clipped to
the remaining budget.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})

_EPOCH_THRESHOLD = 1_000_000_000  # a "relative" reset larger than this is an epoch timestamp


class RetryableFailure(Exception):
    """One failed attempt that may succeed if repeated (429/5xx, connection trouble, unreadable JSON).

    `status` is the HTTP status (None for transport errors), `headers` the response headers (for the wait),
    `detail` a short description without credentials.
    """

    def __init__(self, detail: str, status: int | None = None, headers: Mapping[str, str] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.status = status
        self.headers = headers or {}

    def describe(self) -> str:
        return f"HTTP {self.status}: {self.detail}" if self.status is not None else self.detail


@dataclass(frozen=True)
class WaitDecision:
    """How long to sleep before the next attempt, why, and whether the server demanded it."""

    seconds: float
    reason: str
    server_mandated: bool


def _header(headers: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        value = headers.get(name)
        if value is None and not hasattr(headers, "lower_items"):
            # plain dicts in tests: case-insensitive lookup
            lowered = {k.lower(): v for k, v in headers.items()}
            value = lowered.get(name.lower())
        if value is not None and str(value).strip() != "":
            return str(value).strip()
    return None


def parse_retry_after(value: str | None, now: Callable[[], dt.datetime] | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` value: delta-seconds or an HTTP-date. None when absent/unreadable."""
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    current = (now or (lambda: dt.datetime.now(dt.UTC)))()
    return max(0.0, (when - current).total_seconds())


def parse_reset(value: str | None, now_epoch: float | None = None) -> float | None:
    """Seconds until the rate-limit window resets. Relative seconds per Confluent; epoch values are tolerated."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    if seconds != seconds:  # NaN
        return None
    if seconds > _EPOCH_THRESHOLD:
        import time

        seconds = seconds - (now_epoch if now_epoch is not None else time.time())
    return max(0.0, seconds)


def _numbers(value: str | None) -> list[float]:
    """The numbers of a rate-limit header; the telemetry API may send two sets in one header (global and endpoint
    scope): `rateLimit-remaining: 299, 59`."""
    out = []
    for part in (value or "").split(","):
        try:
            out.append(float(part.strip()))
        except ValueError:
            continue
    return out


def rate_limit_remaining(headers: Mapping[str, str]) -> float | None:
    """The smallest remaining count of the header's sets (the scope that runs out first)."""
    values = _numbers(_header(headers, "X-RateLimit-Remaining", "RateLimit-Remaining"))
    return min(values) if values else None


def rate_limit_reset(headers: Mapping[str, str]) -> float | None:
    """Seconds until every exhausted window has reset: the largest reset of the header's sets."""
    resets = [r for r in (parse_reset(str(v)) for v in _numbers(_header(headers, "X-RateLimit-Reset",
                                                                          "RateLimit-Reset"))) if r is not None]
    return max(resets) if resets else None


def server_wait(failure: RetryableFailure) -> tuple[float, str] | None:
    """The wait the server asked for (Retry-After, else a reset header when exhausted or on 429), or None."""
    retry_after = parse_retry_after(_header(failure.headers, "Retry-After"))
    if retry_after is not None:
        return retry_after, "Retry-After"
    remaining = rate_limit_remaining(failure.headers)
    if failure.status == 429 or (remaining is not None and remaining <= 0):
        reset = rate_limit_reset(failure.headers)
        if reset is not None:
            return reset, "rate-limit reset"
    return None


def backoff(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Full-jitter capped exponential backoff for the `attempt`-th failure (1-based)."""
    ceiling = min(cap, base * (2 ** max(0, attempt - 1)))
    return (rng or random).uniform(0.0, ceiling)


def decide_wait(failure: BaseException | None, attempt: int, remaining_budget: float, *, base: float, cap: float,
                rng: random.Random | None = None) -> WaitDecision:
    """Combine the rules above into one decision; `seconds` may exceed `remaining_budget` only if server-mandated."""
    if isinstance(failure, RetryableFailure):
        asked = server_wait(failure)
        if asked is not None:
            seconds, reason = asked
            jitter = (rng or random).uniform(0.0, min(1.0, 0.1 * seconds))
            return WaitDecision(seconds + jitter if seconds + jitter <= remaining_budget else seconds, reason, True)
    seconds = min(backoff(attempt, base, cap, rng), max(0.0, remaining_budget))
    return WaitDecision(seconds, "backoff", False)

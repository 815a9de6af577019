"""The retry policy as pure functions: Retry-After, reset headers, jittered backoff, the sleep budget."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from requests.structures import CaseInsensitiveDict

from billing_portal.confluent.retry import (
    RetryableFailure,
    backoff,
    decide_wait,
    parse_reset,
    parse_retry_after,
    server_wait,
)

NOW = dt.datetime(2024, 5, 1, 12, 0, 0, tzinfo=dt.UTC)


def _fail(status, **headers):
    return RetryableFailure("x", status=status, headers=CaseInsensitiveDict(headers))


def test_retry_after_in_seconds_and_as_http_date():
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("1.5") == 1.5
    assert parse_retry_after("Wed, 01 May 2024 12:00:30 GMT", now=lambda: NOW) == 30.0
    assert parse_retry_after("Wed, 01 May 2024 11:59:00 GMT", now=lambda: NOW) == 0.0  # in the past: go now
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("-3") == 0.0


def test_reset_is_relative_seconds_and_epoch_is_tolerated():
    assert parse_reset("12") == 12.0
    assert parse_reset("1714565000", now_epoch=1714564990.0) == 10.0
    assert parse_reset("abc") is None
    assert parse_reset(None) is None


def test_retry_after_wins_over_reset_headers():
    f = _fail(429, **{"Retry-After": "3", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "40"})
    assert server_wait(f) == (3.0, "Retry-After")


def test_reset_header_is_used_when_exhausted_or_on_429():
    assert server_wait(_fail(503, **{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "9"})) == (9.0,
                                                                                                   "rate-limit reset")
    assert server_wait(_fail(429, **{"X-RateLimit-Reset": "4"})) == (4.0, "rate-limit reset")
    # not exhausted and not a 429: the reset says nothing about this failure → our own backoff
    assert server_wait(_fail(503, **{"X-RateLimit-Remaining": "17", "X-RateLimit-Reset": "9"})) is None
    assert server_wait(_fail(503)) is None


def test_telemetry_spelling_of_the_rate_limit_headers():
    f = _fail(429, **{"rateLimit-limit": "300", "rateLimit-remaining": "0", "rateLimit-reset": "21"})
    assert server_wait(f) == (21.0, "rate-limit reset")
    plain = RetryableFailure("x", status=429, headers={"ratelimit-reset": "5"})  # plain dict, any case
    assert server_wait(plain) == (5.0, "rate-limit reset")


def test_backoff_is_full_jitter_capped_exponential():
    rng = random.Random(1)
    for attempt in range(1, 12):
        ceiling = min(60.0, 1.0 * 2 ** (attempt - 1))
        samples = [backoff(attempt, 1.0, 60.0, rng) for _ in range(200)]
        assert all(0.0 <= s <= ceiling for s in samples)
        assert max(samples) > ceiling * 0.8  # really spread over the range
    assert max(backoff(30, 1.0, 60.0, rng) for _ in range(100)) <= 60.0


def test_own_backoff_is_clipped_to_the_remaining_budget_but_server_waits_are_not():
    rng = random.Random(3)
    d = decide_wait(_fail(503), attempt=10, remaining_budget=0.5, base=1.0, cap=60.0, rng=rng)
    assert not d.server_mandated and d.seconds <= 0.5
    d = decide_wait(_fail(429, **{"Retry-After": "120"}), attempt=1, remaining_budget=30.0, base=1.0, cap=60.0,
                    rng=rng)
    assert d.server_mandated and d.seconds == 120.0 and d.reason == "Retry-After"


def test_server_wait_gets_at_most_ten_percent_jitter_and_is_never_shortened():
    rng = random.Random(5)
    waits = [decide_wait(_fail(429, **{"Retry-After": "2"}), 1, 300.0, base=1.0, cap=60.0, rng=rng).seconds
             for _ in range(100)]
    assert all(2.0 <= w <= 2.2 for w in waits)


@pytest.mark.parametrize("exc", [None, ValueError("boom")])
def test_non_http_failures_use_backoff(exc):
    d = decide_wait(exc, attempt=2, remaining_budget=100.0, base=1.0, cap=60.0, rng=random.Random(0))
    assert d.reason == "backoff" and 0.0 <= d.seconds <= 2.0

"""Hourly Kafka traffic of one day, generated vectorised with numpy.

Two tables per day, both integer byte counts (``int64``) with one column per UTC hour:

* principal traffic — one row per (cluster, principal) *pair* of the model: ``request_bytes`` (client → broker,
  i.e. produce) and ``response_bytes`` (broker → client, i.e. fetch). A zero means "no data point": the real metrics
  API omits series/hours without activity, and so does the simulator.
* topic traffic — one row per topic: ``received_bytes``/``sent_bytes`` are the cluster's hourly request/response
  totals split over its topics by fixed weights (exact integer split, so per hour and cluster
  Σ topics received_bytes = Σ principals request_bytes), and ``retained_bytes`` is a per-topic gauge.

Each pair has a fixed profile (activity pattern, producer/consumer role, rate, diurnal amplitude and peak hour);
each day draws fresh noise from a random stream keyed by (seed, scale, day), so days differ but a given day is
always identical. Activity patterns: ``always`` (every hour, rare drop-outs), ``business`` (a window of ~8–11 hours
starting 06–10 UTC), ``batch`` (one 2–4 hour window at a random hour), ``sparse`` (each hour with probability 0.3).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

HOURS = 24
ALWAYS, BUSINESS, BATCH, SPARSE = 0, 1, 2, 3
PATTERN_NAMES = ("always", "business", "batch", "sparse")
PRODUCER, CONSUMER, BOTH = 0, 1, 2

# Per (pair, hour) cap; keeps a cluster-day total below 1e14 bytes, so GB quantities with 9 decimals stay within
# the 15 significant digits a JSON double carries exactly.
MAX_HOURLY_BYTES = 25_000_000_000
MAX_RETAINED_BYTES = 150_000_000_000


@dataclass(frozen=True)
class UsageProfile:
    """Fixed per-pair traffic parameters (arrays of length n_pairs)."""

    cluster: np.ndarray  # int32 index into model.kafka_clusters
    principal: np.ndarray  # int32 index into model.principal_ids
    pattern: np.ndarray  # int8, ALWAYS | BUSINESS | BATCH | SPARSE
    role: np.ndarray  # int8, PRODUCER | CONSUMER | BOTH
    rate: np.ndarray  # float64, mean bytes/hour in the dominant direction
    amplitude: np.ndarray  # float64, diurnal amplitude 0..1
    peak_hour: np.ndarray  # float64
    window_start: np.ndarray  # int8 (business)
    window_len: np.ndarray  # int8 (business, batch)

    @property
    def n_pairs(self) -> int:
        return int(self.cluster.shape[0])


@dataclass(frozen=True)
class TopicProfile:
    """Fixed per-topic parameters (arrays of length n_topics, topics grouped by cluster)."""

    cluster: np.ndarray  # int32 index into model.kafka_clusters
    weight: np.ndarray  # float64, share of the cluster's traffic (sums to 1 per cluster)
    lead: np.ndarray  # int32 per cluster: index of the topic that takes the integer-split remainder (-1: none)
    retained_base: np.ndarray  # float64 bytes


@dataclass(frozen=True)
class DayUsage:
    day: date
    request_bytes: np.ndarray  # int64 (n_pairs, 24)
    response_bytes: np.ndarray  # int64 (n_pairs, 24)
    topic_received: np.ndarray  # int64 (n_topics, 24)
    topic_sent: np.ndarray  # int64 (n_topics, 24)
    topic_retained: np.ndarray  # int64 (n_topics, 24)
    cluster_request_total: np.ndarray  # int64 (n_clusters,): the day's Σ request_bytes per cluster
    cluster_response_total: np.ndarray  # int64 (n_clusters,)
    cluster_retained_hour_sum: np.ndarray  # int64 (n_clusters,): Σ over hours and topics of retained_bytes


def random_profile(rng: np.random.Generator, cluster: np.ndarray, principal: np.ndarray,
                   forced_always: np.ndarray) -> UsageProfile:
    n = cluster.shape[0]
    pattern = rng.choice(np.array([ALWAYS, BUSINESS, BATCH, SPARSE], dtype=np.int8), size=n,
                         p=[0.62, 0.20, 0.09, 0.09])
    pattern[forced_always] = ALWAYS
    role = rng.choice(np.array([PRODUCER, CONSUMER, BOTH], dtype=np.int8), size=n, p=[0.35, 0.40, 0.25])
    rate = np.clip(rng.lognormal(np.log(1.5e8), 1.2, size=n), 2e5, 6e9)
    window_len = np.where(pattern == BATCH, rng.integers(2, 5, size=n), rng.integers(8, 12, size=n)).astype(np.int8)
    return UsageProfile(
        cluster=cluster.astype(np.int32),
        principal=principal.astype(np.int32),
        pattern=pattern,
        role=role,
        rate=rate,
        amplitude=rng.uniform(0.2, 0.8, size=n),
        peak_hour=rng.uniform(10.0, 18.0, size=n),
        window_start=rng.integers(6, 11, size=n).astype(np.int8),
        window_len=window_len,
    )


def random_topic_profile(rng: np.random.Generator, topic_cluster: np.ndarray, n_clusters: int) -> TopicProfile:
    n = topic_cluster.shape[0]
    raw = rng.gamma(0.7, 1.0, size=n) + 1e-3
    totals = np.zeros(n_clusters)
    np.add.at(totals, topic_cluster, raw)
    weight = raw / totals[topic_cluster]
    lead = np.full(n_clusters, -1, dtype=np.int32)
    best = np.full(n_clusters, -1.0)
    for i in range(n):  # n is at most a few thousand
        c = topic_cluster[i]
        if weight[i] > best[c]:
            best[c] = weight[i]
            lead[c] = i
    retained = np.clip(rng.lognormal(np.log(2e10), 1.0, size=n), 1e8, MAX_RETAINED_BYTES / 1.2)
    return TopicProfile(cluster=topic_cluster.astype(np.int32), weight=weight, lead=lead, retained_base=retained)


def concat_profiles(a: UsageProfile, b: UsageProfile) -> UsageProfile:
    """The pairs of `a` then those of `b`."""
    return UsageProfile(**{f: np.concatenate([getattr(a, f), getattr(b, f)]) for f in a.__dataclass_fields__})


def _pair_bytes(profile: UsageProfile, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(request_bytes, response_bytes), int64 (n_pairs, 24), of one day's noise drawn from `rng`."""
    n = profile.n_pairs
    hours = np.arange(HOURS)

    active = np.zeros((n, HOURS), dtype=bool)
    pat = profile.pattern
    always = pat == ALWAYS
    active[always] = rng.random((int(always.sum()), HOURS)) >= 0.02
    business = pat == BUSINESS
    start = profile.window_start[business].astype(np.int64) + rng.integers(-1, 2, size=int(business.sum()))
    end = start + profile.window_len[business]
    active[business] = (hours >= start[:, None]) & (hours < end[:, None])
    batch = pat == BATCH
    length = profile.window_len[batch].astype(np.int64)
    bstart = rng.integers(0, HOURS - length + 1) if length.size else length
    active[batch] = (hours >= bstart[:, None]) & (hours < (bstart + length)[:, None])
    sparse = pat == SPARSE
    active[sparse] = rng.random((int(sparse.sum()), HOURS)) < 0.3

    diurnal = 1.0 + profile.amplitude[:, None] * np.sin(2 * np.pi * (hours - profile.peak_hour[:, None] + 6) / HOURS)
    diurnal = np.maximum(diurnal, 0.05)
    day_level = rng.lognormal(0.0, 0.15, size=n)
    base = profile.rate[:, None] * diurnal * day_level[:, None]
    dominant = base * rng.lognormal(0.0, 0.3, size=(n, HOURS))
    other = base * rng.lognormal(0.0, 0.3, size=(n, HOURS))

    role = profile.role[:, None]
    request = np.where(role == CONSUMER, other * 0.002, dominant)
    response = np.where(role == PRODUCER, other * 0.005, np.where(role == BOTH, other * 1.5, dominant))

    def finish(values: np.ndarray) -> np.ndarray:
        out = np.clip(np.rint(values), 1, MAX_HOURLY_BYTES).astype(np.int64)
        out[~active] = 0
        return out

    return finish(request), finish(response)


@dataclass(frozen=True)
class ChurnDay:
    """The churn pairs of a day (timeline.py): their profile, their own random stream and the hours they live."""

    profile: UsageProfile
    rng: np.random.Generator
    alive: np.ndarray  # bool (n_churn_pairs, 24)


def generate_day_usage(profile: UsageProfile, topics: TopicProfile, n_clusters: int, day: date,
                       rng: np.random.Generator, churn: ChurnDay | None = None) -> DayUsage:
    """One day of traffic. `profile` holds the static pairs, drawn from `rng`; `churn` pairs (appended after them)
    draw from their own stream and carry traffic only in the hours they live, so adding churn never changes the
    static pairs' bytes."""
    request_bytes, response_bytes = _pair_bytes(profile, rng)
    pair_cluster = profile.cluster
    if churn is not None and churn.profile.n_pairs:
        c_req, c_resp = _pair_bytes(churn.profile, churn.rng)
        c_req[~churn.alive] = 0
        c_resp[~churn.alive] = 0
        request_bytes = np.vstack([request_bytes, c_req])
        response_bytes = np.vstack([response_bytes, c_resp])
        pair_cluster = np.concatenate([pair_cluster, churn.profile.cluster])
    hours = np.arange(HOURS)

    cluster_req = np.zeros((n_clusters, HOURS), dtype=np.int64)
    cluster_resp = np.zeros((n_clusters, HOURS), dtype=np.int64)
    np.add.at(cluster_req, pair_cluster, request_bytes)
    np.add.at(cluster_resp, pair_cluster, response_bytes)

    topic_received = _split(cluster_req, topics)
    topic_sent = _split(cluster_resp, topics)
    growth = 1.0 + 0.004 * hours
    retained = topics.retained_base[:, None] * growth * rng.lognormal(0.0, 0.01, size=(topics.cluster.shape[0], HOURS))
    topic_retained = np.clip(np.rint(retained), 0, MAX_RETAINED_BYTES).astype(np.int64)
    retained_sum = np.zeros(n_clusters, dtype=np.int64)
    np.add.at(retained_sum, topics.cluster, topic_retained.sum(axis=1))

    return DayUsage(
        day=day,
        request_bytes=request_bytes,
        response_bytes=response_bytes,
        topic_received=topic_received,
        topic_sent=topic_sent,
        topic_retained=topic_retained,
        cluster_request_total=cluster_req.sum(axis=1),
        cluster_response_total=cluster_resp.sum(axis=1),
        cluster_retained_hour_sum=retained_sum,
    )


def _split(cluster_hourly: np.ndarray, topics: TopicProfile) -> np.ndarray:
    """Split each cluster's hourly totals over its topics by weight; the remainder goes to the cluster's lead topic
    so the split is exact."""
    per_topic = np.floor(cluster_hourly[topics.cluster] * topics.weight[:, None]).astype(np.int64)
    assigned = np.zeros_like(cluster_hourly)
    np.add.at(assigned, topics.cluster, per_topic)
    remainder = cluster_hourly - assigned
    has_lead = topics.lead >= 0
    per_topic[topics.lead[has_lead]] += remainder[has_lead]
    return per_topic

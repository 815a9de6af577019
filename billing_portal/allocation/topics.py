"""The topic view: every line billed on a Kafka cluster (`lkc-…`) split over the cluster's topics, hour by hour,
summing exactly to the line (pure functions over frames; no I/O).

Per line type (`AllocationConfig.topic_splits`, defaults below; any other line type: `default_topic_split`, even):

| line type | split | reason | confidence |
|---|---|---|---|
| KAFKA_NETWORK_WRITE | each topic's `received_bytes`, hour by hour | `topic_received_bytes` | high |
| KAFKA_NETWORK_READ | `sent_bytes` | `topic_sent_bytes` | high |
| KAFKA_STORAGE | `retained_bytes` (the hour's average) | `topic_retained_bytes` | high |
| KAFKA_NUM_CKUS / KAFKA_NUM_CKU | received + sent bytes (a `hybrid` split is configurable) | `topic_throughput_share` | medium |
| KAFKA_BASE, KAFKA_PARTITION and the rest | evenly over the cluster's active topics, evenly over the hours | `active_topics_even` | medium |

Active topics: the cluster's topics with any bytes that day, without the internal ones (`internal_topics` globs:
`__consumer_offsets`, `_schemas`, `_confluent-*`). A line whose metric is zero for every topic is split evenly
(`zero_topic_usage_for_line`, low). A cluster without topic metrics lands on topic **`UNALLOCATED`**, evenly over
the hours, with reason `no_topic_metrics` (or `usage_expired_before_capture` when the cluster's topic usage expired
before it was captured), low. Owners and business attributes come from the topic attribution frame
(`ownership/topics.py`); `UNALLOCATED` reads `unallocated`.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from dataclasses import dataclass

import numpy as np
import pandas as pd

from billing_portal.allocation.config import AllocationConfig
from billing_portal.allocation.rounding import largest_remainder
from billing_portal.model.tables import HOURLY_TOPIC_FACTS

HOURS = 24
UNALLOCATED_TOPIC = "UNALLOCATED"
ATTRS = ("owner", "team", "business_unit", "business_product", "cost_center")
TOPIC_FACT_COLUMNS: tuple[str, ...] = HOURLY_TOPIC_FACTS.frame_columns  # billing_portal/model/tables.py
METRIC_COLUMNS = {"received": ("received_bytes",), "sent": ("sent_bytes",), "retained": ("retained_bytes",),
                  "throughput": ("received_bytes", "sent_bytes")}
REASON_OF_METRIC = {"received": "topic_received_bytes", "sent": "topic_sent_bytes",
                    "retained": "topic_retained_bytes", "throughput": "topic_throughput_share"}
CONFIDENCE_OF_METRIC = {"received": "high", "sent": "high", "retained": "high", "throughput": "medium"}
# every value the topic view writes, documented in docs/ALLOCATION.md ("The topic view")
TOPIC_METHODS = ("topic_usage_share", "topic_hybrid", "even_active_topics", "unallocated")
TOPIC_REASONS = ("topic_received_bytes", "topic_sent_bytes", "topic_retained_bytes", "topic_throughput_share",
                 "topic_hybrid_split", "active_topics_even", "zero_topic_usage_for_line", "no_topic_metrics",
                 "usage_expired_before_capture")


@dataclass
class TopicDay:
    """One day's inputs: the bill lines (normalised: `line_no`, `org_id`, `env_id`, `resource_id`, `product`,
    `line_type`, `amount_units`), the topic usage (`hour`, `cluster_id`, `topic`, received/sent/retained bytes),
    the topic attribution (`cluster_id`, `topic` + owner attributes) and, per cluster, whether its topic usage
    expired before it was captured."""

    usage_date: dt.date
    lines: pd.DataFrame
    usage: pd.DataFrame
    attribution: pd.DataFrame
    expired_clusters: frozenset[str] = frozenset()


def is_internal(topic: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(topic, p) for p in patterns)


def _usage_cubes(usage: pd.DataFrame, day_start: pd.Timestamp, internal: tuple[str, ...]
                 ) -> dict[str, tuple[list[str], np.ndarray]]:
    """Per cluster: (its topics sorted, values[topic, hour, metric]), internal topics removed; built for every
    cluster at once (one pass over the day's usage, the internal-topic patterns matched once per distinct topic)."""
    if not len(usage):
        return {}
    topic = usage["topic"].astype(str)
    internal_of = {t: is_internal(t, internal) for t in pd.unique(topic)}
    keep = ~topic.map(internal_of).to_numpy(dtype=bool)
    u, tp = usage[keep], topic[keep].to_numpy(dtype=object)
    if not len(u):
        return {}
    c_codes, c_names = pd.factorize(u["cluster_id"].astype(str).to_numpy(dtype=object), sort=True)
    t_codes, t_names = pd.factorize(tp, sort=True)
    pair = c_codes.astype(np.int64) * len(t_names) + t_codes
    pairs, inv = np.unique(pair, return_inverse=True)
    cube = np.zeros((len(pairs), HOURS, 3))
    h_idx = ((pd.to_datetime(u["hour"], utc=True) - day_start) // pd.Timedelta(hours=1)).to_numpy()
    ok = (h_idx >= 0) & (h_idx < HOURS)
    for m, col in enumerate(("received_bytes", "sent_bytes", "retained_bytes")):
        vals = np.clip(pd.to_numeric(u[col], errors="coerce").fillna(0).to_numpy(dtype=float), 0, None)
        np.add.at(cube[:, :, m], (inv[ok], h_idx[ok].astype(int)), vals[ok])
    cluster_of = pairs // len(t_names)
    bounds = np.searchsorted(cluster_of, np.arange(len(c_names) + 1))
    return {str(c_names[i]): ([str(t) for t in t_names[pairs[bounds[i]:bounds[i + 1]] % len(t_names)]],
                              cube[bounds[i]:bounds[i + 1]])
            for i in range(len(c_names))}


def _metric_weights(cube: np.ndarray, metric: str) -> np.ndarray:
    idx = {"received_bytes": 0, "sent_bytes": 1, "retained_bytes": 2}
    return sum(cube[:, :, idx[c]] for c in METRIC_COLUMNS[metric])


def allocate_topics(day: TopicDay, config: AllocationConfig) -> pd.DataFrame:
    """The topic facts of the day: one row per (cluster line, hour, topic), amounts as `amount_units` int64 summing
    exactly to each line, columns TOPIC_FACT_COLUMNS, ordered by hour then line then topic."""
    lines = day.lines
    on_cluster = lines[lines["resource_id"].astype(str).str.startswith("lkc-")].reset_index(drop=True)
    day_start = pd.Timestamp(day.usage_date, tz="UTC")
    hours = pd.date_range(day_start, periods=HOURS, freq="h")
    internal = tuple(config.internal_topics)
    parts: list[dict[str, np.ndarray]] = []
    cubes = _usage_cubes(day.usage, day_start, internal)
    no_usage: tuple[list[str], np.ndarray] = ([], np.zeros((0, HOURS, 3)))
    for li, line in on_cluster.iterrows():
        cluster = str(line["resource_id"])
        topics, cube = cubes.get(cluster, no_usage)
        split = config.topic_split(str(line["line_type"]))
        active = cube.sum(axis=(1, 2)) > 0
        if not active.any():
            why = "usage_expired_before_capture" if cluster in day.expired_clusters else "no_topic_metrics"
            w = np.ones((1, HOURS))
            names, method, reason, conf = [UNALLOCATED_TOPIC], "unallocated", why, "low"
        else:
            names = [t for t, a in zip(topics, active, strict=True) if a]
            c = cube[active]
            even = np.ones((len(names), HOURS)) / (len(names) * HOURS)
            usage = _metric_weights(c, split.metric)
            if split.method == "even":
                w, method, reason, conf = even, "even_active_topics", "active_topics_even", "medium"
            elif usage.sum() <= 0:
                w, method, reason, conf = even, "even_active_topics", "zero_topic_usage_for_line", "low"
            elif split.method == "usage":
                w = usage / usage.sum()
                method, reason, conf = ("topic_usage_share", REASON_OF_METRIC[split.metric],
                                        CONFIDENCE_OF_METRIC[split.metric])
            else:
                w = split.usage_ratio * usage / usage.sum() + (1 - split.usage_ratio) * even
                method, reason, conf = "topic_hybrid", "topic_hybrid_split", "medium"
        t_idx, h_idx = np.nonzero(w > 0)
        n = len(t_idx)
        parts.append({"line": np.full(n, li), "topic": np.array(names, dtype=object)[t_idx], "hour": h_idx,
                      "weight": w[t_idx, h_idx], "method": np.full(n, method, dtype=object),
                      "reason": np.full(n, reason, dtype=object), "confidence": np.full(n, conf, dtype=object)})
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in TOPIC_FACT_COLUMNS})
    rows = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    totals = on_cluster["amount_units"].to_numpy(np.int64)
    units = largest_remainder(rows["line"], rows["weight"], totals)
    # rows rounded to zero are dropped, except the first row of a zero-amount line (every line stays visible); the
    # rest in the order of the facts: hour, line, topic (sorted as arrays, before any frame is built)
    line_total = totals[rows["line"]]
    first = np.r_[True, rows["line"][1:] != rows["line"][:-1]]
    kept = np.flatnonzero((units != 0) | ((line_total == 0) & first))
    topic_codes = pd.factorize(rows["topic"], sort=True)[0]
    line_nos = on_cluster["line_no"].to_numpy(np.int64)[rows["line"]]
    kept = kept[np.lexsort((topic_codes[kept], line_nos[kept], rows["hour"][kept]))]
    rows = {k: v[kept] for k, v in rows.items()}
    units = units[kept]
    src = on_cluster.iloc[rows["line"]].reset_index(drop=True)
    out = pd.DataFrame({
        "usage_date": day.usage_date, "hour": hours[rows["hour"]], "line_no": src["line_no"].to_numpy(np.int64),
        "org_id": src["org_id"].to_numpy(object), "env_id": src["env_id"].to_numpy(object),
        "cluster_id": src["resource_id"].astype(str).to_numpy(object), "product": src["product"].to_numpy(object),
        "line_type": src["line_type"].to_numpy(object), "topic": rows["topic"], "amount_units": units,
        "allocation_method": rows["method"], "allocation_reason": rows["reason"], "confidence": rows["confidence"],
    })
    attr = day.attribution
    if len(attr):
        attr = attr.drop_duplicates(["cluster_id", "topic"])[["cluster_id", "topic", *ATTRS]]
        out = out.merge(attr, on=["cluster_id", "topic"], how="left")
    for a in ATTRS:
        if a not in out.columns:
            out[a] = None
        out[a] = out[a].where(out[a].notna(), "unknown").astype(object)
        out.loc[out["topic"] == UNALLOCATED_TOPIC, a] = "unallocated"
    return out.reset_index(drop=True)[list(TOPIC_FACT_COLUMNS)]

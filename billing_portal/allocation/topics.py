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

Vectorised: the weights of a line depend only on its cluster and its split, so they are computed once per (cluster,
split) pair (a "template": topic, hour and weight of every cell with a positive weight), every line takes its
template's rows (one gather for all lines) and all lines are rounded at once (`largest_remainder`, which breaks ties
by row order: the rows of a line are in topic-then-hour order, as they always were). Strings are never materialised
per row: `allocate_topic_table` returns an Arrow table whose text columns are dictionary-encoded (the writer escapes
each distinct value once, the rollup groups integer codes); `allocate_topics` is the same rows as a pandas frame.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

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
TOPIC_CONFIDENCES = ("high", "medium", "low")
_METRIC_INDEX = {"received_bytes": 0, "sent_bytes": 1, "retained_bytes": 2}


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
                 ) -> tuple[np.ndarray, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """(every non-internal topic of the day, sorted; per cluster: (the codes of its topics into those names,
    ascending, and values[topic, hour, metric])), built for every cluster at once (one pass over the day's usage,
    the internal-topic patterns matched once per distinct topic)."""
    none = np.array([], dtype=object)
    if not len(usage):
        return none, {}
    topic = usage["topic"].astype(str)
    codes, distinct = pd.factorize(topic, use_na_sentinel=False)
    keep = ~np.array([is_internal(t, internal) for t in distinct], dtype=bool)[codes]
    u, tp = usage[keep], topic[keep].to_numpy(dtype=object)
    if not len(u):
        return none, {}
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
    names = np.asarray(t_names, dtype=object)
    return names, {str(c_names[i]): (pairs[bounds[i]:bounds[i + 1]] % len(t_names), cube[bounds[i]:bounds[i + 1]])
                   for i in range(len(c_names))}


def _metric_weights(cube: np.ndarray, metric: str) -> np.ndarray:
    return sum(cube[:, :, _METRIC_INDEX[c]] for c in METRIC_COLUMNS[metric])


def _split_weights(cube: np.ndarray, split) -> tuple[np.ndarray, str, str, str]:
    """The weights[topic, hour] of a line over its cluster's active topics (cube: those topics' values), with its
    method, reason and confidence."""
    n = len(cube)
    even = np.ones((n, HOURS)) / (n * HOURS)
    usage = _metric_weights(cube, split.metric)
    if split.method == "even":
        return even, "even_active_topics", "active_topics_even", "medium"
    if usage.sum() <= 0:
        return even, "even_active_topics", "zero_topic_usage_for_line", "low"
    if split.method == "usage":
        return (usage / usage.sum(), "topic_usage_share", REASON_OF_METRIC[split.metric],
                CONFIDENCE_OF_METRIC[split.metric])
    return (split.usage_ratio * usage / usage.sum() + (1 - split.usage_ratio) * even, "topic_hybrid",
            "topic_hybrid_split", "medium")


@dataclass
class _Allocation:
    """The day's topic facts as codes: per row (ordered by hour, line, topic) its bill line (index into `lines`),
    hour, topic (index into `topics`), (cluster, topic) pair (index into `pair_attrs`), template (index into
    `template_kind`) and units."""

    lines: pd.DataFrame
    cluster_codes: np.ndarray  # per line, into `clusters`
    clusters: np.ndarray
    topics: np.ndarray
    pair_attrs: dict[str, np.ndarray]  # per owner attribute, its value per pair (object)
    template_kind: np.ndarray  # [template, 3]: codes into TOPIC_METHODS, TOPIC_REASONS, TOPIC_CONFIDENCES
    line: np.ndarray
    hour: np.ndarray
    topic: np.ndarray
    pair: np.ndarray
    template: np.ndarray
    units: np.ndarray


def _allocate(day: TopicDay, config: AllocationConfig) -> _Allocation | None:
    lines = day.lines
    on_cluster = lines[lines["resource_id"].astype(str).str.startswith("lkc-")].reset_index(drop=True)
    n_lines = len(on_cluster)
    if not n_lines:
        return None
    day_start = pd.Timestamp(day.usage_date, tz="UTC")
    topic_names, cubes = _usage_cubes(day.usage, day_start, tuple(config.internal_topics))
    # the topic dictionary: the day's topics and UNALLOCATED, sorted (codes order rows as the names do)
    un = int(np.searchsorted(topic_names, UNALLOCATED_TOPIC))
    shift = not (un < len(topic_names) and topic_names[un] == UNALLOCATED_TOPIC)
    topics = np.insert(topic_names, un, UNALLOCATED_TOPIC) if shift else topic_names

    # lines → templates: one per (cluster, split)
    c_codes, c_raw = pd.factorize(on_cluster["resource_id"].to_numpy(dtype=object))
    clusters = np.array([str(c) for c in c_raw], dtype=object)
    lt_codes, lt_raw = pd.factorize(on_cluster["line_type"].to_numpy(dtype=object), use_na_sentinel=False)
    split_ids: dict[tuple, int] = {}
    split_list = []
    lt_split = np.zeros(len(lt_raw), dtype=np.int64)
    for i, lt in enumerate(lt_raw):
        split = config.topic_split(str(lt))
        key = (split.method, split.metric, split.usage_ratio)
        if key not in split_ids:
            split_ids[key] = len(split_list)
            split_list.append(split)
        lt_split[i] = split_ids[key]
    tmpl_keys, line_tmpl = np.unique(c_codes.astype(np.int64) * len(split_list) + lt_split[lt_codes],
                                     return_inverse=True)
    line_tmpl = line_tmpl.reshape(-1)

    # per cluster: its active topics and their (cluster, topic) pairs
    no_codes, no_cube = np.zeros(0, dtype=np.int64), np.zeros((0, HOURS, 3))
    cluster_state: dict[int, tuple] = {}
    pair_cluster: list[np.ndarray] = []
    pair_topic: list[np.ndarray] = []
    n_pairs = 0
    for ci in (int(c) for c in np.unique(tmpl_keys // len(split_list))):
        codes, cube = cubes.get(clusters[ci], (no_codes, no_cube))
        active = cube.sum(axis=(1, 2)) > 0
        if active.any():
            t = codes[active]
            t = t + (t >= un) if shift else t
            cluster_state[ci] = (cube[active], t, n_pairs + np.arange(len(t)))
        else:
            t = np.array([un])
            cluster_state[ci] = (None, t, np.array([n_pairs]))
        pair_cluster.append(np.full(len(t), ci))
        pair_topic.append(t)
        n_pairs += len(t)

    # per template: the cells with a positive weight, topic by topic then hour by hour
    w_parts, h_parts, t_parts, p_parts = [], [], [], []
    kinds = np.zeros((len(tmpl_keys), 3), dtype=np.int64)
    for k, key in enumerate(tmpl_keys):
        ci, si = divmod(int(key), len(split_list))
        cube, t_codes, p_ids = cluster_state[ci]
        if cube is None:
            why = "usage_expired_before_capture" if clusters[ci] in day.expired_clusters else "no_topic_metrics"
            w, method, reason, conf = np.ones((1, HOURS)), "unallocated", why, "low"
        else:
            w, method, reason, conf = _split_weights(cube, split_list[si])
        kinds[k] = (TOPIC_METHODS.index(method), TOPIC_REASONS.index(reason), TOPIC_CONFIDENCES.index(conf))
        t_idx, h_idx = np.nonzero(w > 0)
        w_parts.append(w[t_idx, h_idx])
        h_parts.append(h_idx.astype(np.int8))
        t_parts.append(t_codes[t_idx].astype(np.int32))
        p_parts.append(p_ids[t_idx].astype(np.int32))
    lens = np.array([len(w) for w in w_parts], dtype=np.int64)
    tmpl_start = np.cumsum(lens) - lens

    # every line takes its template's rows, lines in order (one gather)
    per_line = lens[line_tmpl]
    n = int(per_line.sum())
    row_line = np.repeat(np.arange(n_lines, dtype=np.int64), per_line)
    src = np.repeat(tmpl_start[line_tmpl] - (np.cumsum(per_line) - per_line), per_line) + np.arange(n)
    weight = np.concatenate(w_parts)[src]
    totals = on_cluster["amount_units"].to_numpy(np.int64)
    units = largest_remainder(row_line, weight, totals)
    del weight
    # rows rounded to zero are dropped, except the first row of a zero-amount line (every line stays visible); the
    # rest in the order of the facts: hour, line, topic
    first = np.r_[True, row_line[1:] != row_line[:-1]]
    kept = np.flatnonzero((units != 0) | ((totals[row_line] == 0) & first))
    src, row_line = src[kept], row_line[kept]
    hour = np.concatenate(h_parts)[src]
    topic = np.concatenate(t_parts)[src]
    line_nos = on_cluster["line_no"].to_numpy(np.int64)
    if n_lines < 2 or bool(np.all(line_nos[1:] > line_nos[:-1])):
        # lines in line_no order (as read), each line's rows in topic order hour by hour: a stable sort by hour
        # alone gives hour, line, topic (a radix sort of one byte per row)
        order = np.argsort(hour, kind="stable")
    else:
        order = np.lexsort((topic, line_nos[row_line], hour))
    kept, src, row_line, hour, topic = kept[order], src[order], row_line[order], hour[order], topic[order]

    # owners per (cluster, topic) pair
    pair_c = np.concatenate(pair_cluster) if pair_cluster else np.zeros(0, dtype=np.int64)
    pair_t = np.concatenate(pair_topic) if pair_topic else np.zeros(0, dtype=np.int64)
    pairs = pd.DataFrame({"cluster_id": clusters[pair_c], "topic": topics[pair_t]})
    attr = day.attribution
    if len(attr):
        attr = attr.drop_duplicates(["cluster_id", "topic"])[["cluster_id", "topic", *ATTRS]]
        pairs = pairs.merge(attr, on=["cluster_id", "topic"], how="left")
    unallocated = topics[pair_t] == UNALLOCATED_TOPIC
    pair_attrs = {}
    for a in ATTRS:
        vals = pairs[a].to_numpy(dtype=object) if a in pairs.columns else np.full(len(pairs), None, dtype=object)
        vals = np.where(pd.isna(vals), "unknown", vals).astype(object)
        vals[unallocated] = "unallocated"
        pair_attrs[a] = vals
    return _Allocation(lines=on_cluster, cluster_codes=c_codes, clusters=clusters, topics=topics,
                       pair_attrs=pair_attrs, template_kind=kinds, line=row_line, hour=hour, topic=topic,
                       pair=np.concatenate(p_parts)[src], template=np.repeat(line_tmpl, per_line)[kept],
                       units=units[kept])


def _dictionary(codes: np.ndarray, values) -> pa.DictionaryArray:
    """Codes (-1: null) into distinct `values` → a dictionary<int32, string> array."""
    codes = np.asarray(codes)
    mask = codes < 0
    indices = pa.array(codes.astype(np.int32), mask=mask if mask.any() else None)
    return pa.DictionaryArray.from_arrays(indices, pa.array([str(v) for v in values], pa.string()))


def _factorized(per_line: np.ndarray, rows: np.ndarray) -> pa.DictionaryArray:
    codes, uniques = pd.factorize(per_line)
    return _dictionary(codes[rows], uniques)


def topic_table_schema() -> pa.Schema:
    """The Arrow schema of `allocate_topic_table`: TOPIC_FACT_COLUMNS; text as dictionary<int32, string>."""
    text = pa.dictionary(pa.int32(), pa.string())
    types = {"usage_date": pa.date32(), "hour": pa.timestamp("s", tz="UTC"), "line_no": pa.int64(),
             "amount_units": pa.int64()}
    return pa.schema([(c, types.get(c, text)) for c in TOPIC_FACT_COLUMNS])


def allocate_topic_table(day: TopicDay, config: AllocationConfig) -> pa.Table:
    """The topic facts of the day as an Arrow table (`topic_table_schema`): one row per (cluster line, hour, topic),
    `amount_units` int64 summing exactly to each line, ordered by hour then line then topic; text columns are
    dictionary-encoded (built from codes: no string per row)."""
    al = _allocate(day, config)
    if al is None:
        return topic_table_schema().empty_table()
    n = len(al.units)
    on = al.lines
    day_s = int(pd.Timestamp(day.usage_date, tz="UTC").timestamp())
    cols = {
        "usage_date": pa.array(np.full(n, np.datetime64(day.usage_date, "D"))),
        "hour": pa.array(day_s + al.hour.astype(np.int64) * 3600, pa.timestamp("s", tz="UTC")),
        "line_no": pa.array(on["line_no"].to_numpy(np.int64)[al.line], pa.int64()),
        "org_id": _factorized(on["org_id"].to_numpy(dtype=object), al.line),
        "env_id": _factorized(on["env_id"].to_numpy(dtype=object), al.line),
        "cluster_id": _dictionary(al.cluster_codes[al.line], al.clusters),
        "product": _factorized(on["product"].to_numpy(dtype=object), al.line),
        "line_type": _factorized(on["line_type"].to_numpy(dtype=object), al.line),
        "topic": _dictionary(al.topic, al.topics),
        "amount_units": pa.array(al.units, pa.int64()),
        "allocation_method": _dictionary(al.template_kind[al.template, 0], TOPIC_METHODS),
        "allocation_reason": _dictionary(al.template_kind[al.template, 1], TOPIC_REASONS),
        "confidence": _dictionary(al.template_kind[al.template, 2], TOPIC_CONFIDENCES),
    }
    for a in ATTRS:
        cols[a] = _factorized(al.pair_attrs[a], al.pair)
    return pa.table([cols[c] for c in TOPIC_FACT_COLUMNS], schema=topic_table_schema())


def topic_facts_frame(table: pa.Table) -> pd.DataFrame:
    """An `allocate_topic_table` result as the pandas frame `allocate_topics` returns: text as Python strings
    (object arrays, so pandas infers its string dtype; owner attributes stay object), `hour` as datetime64[s, UTC],
    `usage_date` as dates."""
    data = {}
    for name in TOPIC_FACT_COLUMNS:
        col = table.column(name).combine_chunks()
        if pa.types.is_dictionary(col.type):
            values = np.append(col.dictionary.to_numpy(zero_copy_only=False).astype(object), None)
            idx = col.indices.fill_null(-1).to_numpy(zero_copy_only=False)
            obj = values[idx]
            data[name] = pd.Series(obj, dtype=object) if name in ATTRS else obj
        else:
            data[name] = col.to_pandas()
    return pd.DataFrame(data)[list(TOPIC_FACT_COLUMNS)]


def allocate_topics(day: TopicDay, config: AllocationConfig) -> pd.DataFrame:
    """The topic facts of the day: one row per (cluster line, hour, topic), amounts as `amount_units` int64 summing
    exactly to each line, columns TOPIC_FACT_COLUMNS, ordered by hour then line then topic (`allocate_topic_table`
    as a pandas frame; a day without a Kafka-cluster line gives an empty frame of object columns)."""
    if not day.lines["resource_id"].astype(str).str.startswith("lkc-").any():
        return pd.DataFrame({c: pd.Series(dtype=object) for c in TOPIC_FACT_COLUMNS})
    return topic_facts_frame(allocate_topic_table(day, config))

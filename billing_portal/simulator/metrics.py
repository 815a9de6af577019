"""The telemetry query engine: parse a Metrics API v2 query body and evaluate it over the model's hourly usage.

Faithful to ``POST /v2/metrics/cloud/query``:

* one aggregation ``{"metric": …, "agg": "SUM"}`` over ``io.confluent.kafka.server/request_bytes`` and
  ``response_bytes`` (labels ``resource.kafka.id``, ``metric.principal_id``) and ``received_bytes``, ``sent_bytes``,
  ``retained_bytes`` (labels ``resource.kafka.id``, ``metric.topic``; ``retained_bytes`` is a gauge: summed over
  series, averaged over time within a bucket), and ``io.confluent.flink/statement_utilization/current_cfus``
  (labels ``resource.compute_pool.id``, ``resource.flink_statement.name``; a gauge, from ``flink.py``);
* ``filter`` is required and must constrain a ``resource.*`` field (the ``cloud`` dataset's rule); ops ``EQ``,
  ``AND``, ``OR``, ``NOT`` compose freely, so one request can cover many clusters;
* ``group_by`` any of the metric's labels; ``limit`` (1–1000, default 100) caps the number of *groups* per page;
  groups are ordered by their label values, points within a group newest first; hours without activity have no
  point (as live, series without data are absent);
* ``intervals``: one ``start/end``, ``start/duration`` or ``duration/end`` ISO-8601 interval (``now`` allowed);
  ``granularity`` PT1H, PT4H, PT6H, PT12H, P1D or ALL.

Simplifications (each answered with a 400 that says so, never silently): granularities finer than PT1H (the
model is hourly), intervals longer than 31 days, ``agg`` other than SUM. Only hours that have fully elapsed have
data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from billing_portal.simulator.model import OrgModel

KAFKA_ID, PRINCIPAL, TOPIC, TYPE = "resource.kafka.id", "metric.principal_id", "metric.topic", "metric.type"
COMPUTE_POOL, STATEMENT = "resource.compute_pool.id", "resource.flink_statement.name"
MAX_INTERVAL_HOURS = 31 * 24
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100


@dataclass(frozen=True)
class MetricDef:
    name: str
    table: str  # principal | topic
    field: str  # DayUsage attribute
    labels: tuple[str, ...]
    gauge: bool = False


_PREFIX = "io.confluent.kafka.server/"
METRICS = {m.name: m for m in (
    # request types: produce requests carry the request bytes, fetch responses the response bytes
    MetricDef(_PREFIX + "request_bytes", "principal_produce", "request_bytes", (KAFKA_ID, PRINCIPAL, TYPE)),
    MetricDef(_PREFIX + "response_bytes", "principal_fetch", "response_bytes", (KAFKA_ID, PRINCIPAL, TYPE)),
    MetricDef(_PREFIX + "received_bytes", "topic", "topic_received", (KAFKA_ID, TOPIC)),
    MetricDef(_PREFIX + "sent_bytes", "topic", "topic_sent", (KAFKA_ID, TOPIC)),
    MetricDef(_PREFIX + "retained_bytes", "topic", "topic_retained", (KAFKA_ID, TOPIC), gauge=True),
    # Flink: CFUs per statement (a gauge); the values come from the model's Flink workload, not DayUsage
    MetricDef("io.confluent.flink/statement_utilization/current_cfus", "flink", "cfus", (COMPUTE_POOL, STATEMENT),
              gauge=True),
)}
GRANULARITY_HOURS: dict[str, int | None] = {"PT1H": 1, "PT4H": 4, "PT6H": 6, "PT12H": 12, "P1D": 24, "ALL": None}
SUB_HOURLY = ("PT1M", "PT5M", "PT15M", "PT30M")
FORMATS = ("FLAT", "GROUPED")
FILTER_OPS = ("EQ", "AND", "OR", "NOT")


class QueryError(ValueError):
    def __init__(self, detail: str, parameter: str | None = None, code: str = "invalid_query"):
        super().__init__(detail)
        self.detail = detail
        self.parameter = parameter
        self.code = code


@dataclass(frozen=True)
class Filter:
    op: str
    field: str | None = None
    value: str | None = None
    children: tuple[Filter, ...] = ()

    def fields(self) -> set[str]:
        out = {self.field} if self.field else set()
        for c in self.children:
            out |= c.fields()
        return out


@dataclass(frozen=True)
class MetricQuery:
    metric: MetricDef
    filter: Filter
    group_by: tuple[str, ...]
    granularity: str
    start: datetime
    end: datetime
    limit: int
    format: str


@dataclass(frozen=True)
class Group:
    labels: tuple[tuple[str, str], ...]
    timestamps: tuple[datetime, ...]  # newest first
    values: tuple[float, ...]


# ---- parsing ------------------------------------------------------------------------------------------------
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def _duration(text: str) -> timedelta | None:
    m = _DURATION.match(text)
    if not m or text in ("P", "PT"):
        return None
    d, h, mi, s = (int(x) if x else 0 for x in m.groups())
    return timedelta(days=d, hours=h, minutes=mi, seconds=s)


def _instant(text: str, now: datetime) -> datetime | None:
    if text == "now":
        return now
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def parse_interval(text: Any, now: datetime) -> tuple[datetime, datetime]:
    if not isinstance(text, str) or text.count("/") != 1:
        raise QueryError(f"invalid interval {text!r}: expected start/end, start/duration or duration/end",
                         "intervals")
    a, b = text.split("/")
    start, end = _instant(a, now), _instant(b, now)
    if start is None and end is not None and (d := _duration(a)) is not None:
        start = end - d
    elif end is None and start is not None and (d := _duration(b)) is not None:
        end = start + d
    if start is None or end is None:
        raise QueryError(f"invalid interval {text!r}: expected start/end, start/duration or duration/end",
                         "intervals")
    if start >= end:
        raise QueryError(f"invalid interval {text!r}: start must be before end", "intervals")
    return start, end


def _parse_filter(doc: Any, metric: MetricDef) -> Filter:
    if not isinstance(doc, dict):
        raise QueryError("filter must be an object", "filter", "invalid_filter")
    op = doc.get("op")
    if op not in FILTER_OPS:
        raise QueryError(f"unsupported filter op {op!r}; supported: {', '.join(FILTER_OPS)}", "filter",
                         "invalid_filter")
    if op in ("AND", "OR"):
        children = doc.get("filters")
        if not isinstance(children, list) or not children:
            raise QueryError(f"{op} filter needs a non-empty 'filters' list", "filter", "invalid_filter")
        return Filter(op, children=tuple(_parse_filter(c, metric) for c in children))
    if op == "NOT":
        return Filter(op, children=(_parse_filter(doc.get("filter"), metric),))
    field, value = doc.get("field"), doc.get("value")
    if field not in metric.labels:
        raise QueryError(f"invalid filter field {field!r} for {metric.name}; allowed: {', '.join(metric.labels)}",
                         "filter", "invalid_filter")
    if not isinstance(value, str):
        raise QueryError(f"filter value for {field} must be a string", "filter", "invalid_filter")
    return Filter(op, field=field, value=value)


def parse_query(body: Any, now: datetime) -> MetricQuery:
    if not isinstance(body, dict):
        raise QueryError("request body must be a JSON object")
    aggs = body.get("aggregations")
    if not isinstance(aggs, list) or len(aggs) != 1 or not isinstance(aggs[0], dict):
        raise QueryError("exactly one aggregation is required", "aggregations")
    metric = METRICS.get(aggs[0].get("metric"))
    if metric is None:
        raise QueryError(f"unknown metric {aggs[0].get('metric')!r}; available: {', '.join(METRICS)}",
                         "aggregations")
    if aggs[0].get("agg", "SUM") != "SUM":
        raise QueryError("only the SUM aggregation is supported by this simulator", "aggregations")
    if "filter" not in body or body["filter"] is None:
        raise QueryError("a resource filter (e.g. resource.kafka.id) is required for the cloud dataset", "filter",
                         "invalid_filter")
    flt = _parse_filter(body["filter"], metric)
    if not any(f.startswith("resource.") for f in flt.fields()):
        raise QueryError("a resource filter (e.g. resource.kafka.id) is required for the cloud dataset", "filter",
                         "invalid_filter")
    group_by = body.get("group_by", [])
    if not isinstance(group_by, list) or not all(isinstance(g, str) for g in group_by):
        raise QueryError("group_by must be a list of label names", "group_by")
    for g in group_by:
        if g not in metric.labels:
            raise QueryError(f"invalid group_by label {g!r} for {metric.name}; allowed: {', '.join(metric.labels)}",
                             "group_by")
    granularity = body.get("granularity")
    if granularity in SUB_HOURLY:
        raise QueryError(f"granularity {granularity} is finer than this simulator's hourly data; use PT1H or "
                         "coarser", "granularity")
    if granularity not in GRANULARITY_HOURS:
        raise QueryError(f"invalid granularity {granularity!r}; supported: {', '.join(GRANULARITY_HOURS)}",
                         "granularity")
    intervals = body.get("intervals")
    if not isinstance(intervals, list) or len(intervals) != 1:
        raise QueryError("exactly one interval is required", "intervals")
    start, end = parse_interval(intervals[0], now)
    start = start.replace(minute=0, second=0, microsecond=0)
    if end.minute or end.second or end.microsecond:
        end = end.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    if (end - start) > timedelta(hours=MAX_INTERVAL_HOURS):
        raise QueryError("interval too long: at most 31 days per query", "intervals")
    limit = body.get("limit", DEFAULT_LIMIT)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise QueryError(f"limit must be an integer between 1 and {MAX_LIMIT}", "limit")
    fmt = body.get("format", "FLAT")
    if fmt not in FORMATS:
        raise QueryError(f"invalid format {fmt!r}; supported: {', '.join(FORMATS)}", "format")
    return MetricQuery(metric=metric, filter=flt, group_by=tuple(dict.fromkeys(group_by)), granularity=granularity,
                       start=start, end=end, limit=limit, format=fmt)


# ---- evaluation ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Labels:
    codes: np.ndarray  # per series
    values: list[str]  # code -> label value
    index: dict[str, int]


def _label_tables(model: OrgModel) -> dict[str, dict[str, _Labels]]:
    cached = model.__dict__.get("_metric_labels")
    if cached is not None:
        return cached
    cluster_ids = [c.id for c in model.kafka_clusters]
    cluster_index = {c: i for i, c in enumerate(cluster_ids)}
    topic_names = sorted({t.name for t in model.topics})
    topic_index = {n: i for i, n in enumerate(topic_names)}
    pairs = model.usage_profile.n_pairs

    def principal_table(request_type: str) -> dict[str, _Labels]:
        return {
            KAFKA_ID: _Labels(model.usage_profile.cluster, cluster_ids, cluster_index),
            PRINCIPAL: _Labels(model.usage_profile.principal, model.principal_ids, model.principal_index),
            TYPE: _Labels(np.zeros(pairs, dtype=np.int32), [request_type], {request_type: 0}),
        }

    tables = {
        "principal_produce": principal_table("Produce"),
        "principal_fetch": principal_table("Fetch"),
        "topic": {
            KAFKA_ID: _Labels(model.topic_profile.cluster, cluster_ids, cluster_index),
            TOPIC: _Labels(np.array([topic_index[t.name] for t in model.topics], dtype=np.int32), topic_names,
                           topic_index),
        },
    }
    statements = model.flink.statements
    pool_ids = sorted({st.compute_pool_id for st in statements})
    pool_index = {p: i for i, p in enumerate(pool_ids)}
    statement_names = sorted({st.name for st in statements})
    name_index = {n: i for i, n in enumerate(statement_names)}
    tables["flink"] = {
        COMPUTE_POOL: _Labels(np.array([pool_index[st.compute_pool_id] for st in statements], dtype=np.int32),
                              pool_ids, pool_index),
        STATEMENT: _Labels(np.array([name_index[st.name] for st in statements], dtype=np.int32), statement_names,
                           name_index),
    }
    model.__dict__["_metric_labels"] = tables
    return tables


def _day_values(model: OrgModel, metric: MetricDef, day: date) -> np.ndarray:
    if metric.table == "flink":
        return model.flink.cfus(day)
    return getattr(model.usage(day), metric.field)


def _mask(f: Filter, table: dict[str, _Labels], n: int) -> np.ndarray:
    if f.op == "EQ":
        labels = table[f.field]
        code = labels.index.get(f.value)
        return np.zeros(n, dtype=bool) if code is None else labels.codes == code
    masks = [_mask(c, table, n) for c in f.children]
    if f.op == "AND":
        return np.logical_and.reduce(masks)
    if f.op == "OR":
        return np.logical_or.reduce(masks)
    return ~masks[0]  # NOT


def evaluate(model: OrgModel, q: MetricQuery, now: datetime, retention_days: int = 0,
             zero_points: bool = False) -> list[Group]:
    """The groups of a query at `now`: hours that have fully elapsed and, with `retention_days` > 0, that are not
    older than the retention (the live API keeps about 7 days; older hours answer no points at all). With
    `zero_points` (live), a group with any point also has a zero-valued point for each bucket without activity."""
    table = _label_tables(model)[q.metric.table]
    n = next(iter(table.values())).codes.shape[0]
    selected = np.flatnonzero(_mask(q.filter, table, n))
    # hours of the interval that have fully elapsed
    last_complete = now.replace(minute=0, second=0, microsecond=0)
    end = min(q.end, last_complete)
    hours: list[datetime] = []
    t = q.start
    if retention_days:
        oldest = last_complete - timedelta(days=retention_days)
        if t < oldest:  # skip whole hours from the interval start (buckets stay aligned on it)
            t += timedelta(hours=-(-(oldest - t) // timedelta(hours=1)))
    while t < end:
        hours.append(t)
        t += timedelta(hours=1)
    if not hours or selected.size == 0:
        return []
    columns = []
    day_cursor: date | None = None
    day_values = None
    for h in hours:
        if h.date() != day_cursor:
            day_cursor = h.date()
            day_values = _day_values(model, q.metric, day_cursor)[selected]
        columns.append(day_values[:, h.hour])
    values = np.stack(columns, axis=1)  # (n_selected, n_hours) int64

    if q.group_by:
        keys = np.stack([table[g].codes[selected] for g in q.group_by], axis=1)
        uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
    else:
        uniq = np.zeros((1, 0), dtype=np.int64)
        inverse = np.zeros(selected.size, dtype=np.int64)
    g = uniq.shape[0]
    sums = np.zeros((g, len(hours)), dtype=np.int64)
    present = np.zeros((g, len(hours)), dtype=np.int64)
    np.add.at(sums, inverse, values)
    np.add.at(present, inverse, (values > 0).astype(np.int64))

    # buckets of the granularity
    step = GRANULARITY_HOURS[q.granularity]
    offsets = np.array([int((h - q.start).total_seconds() // 3600) for h in hours])
    bucket_of = np.zeros(len(hours), dtype=np.int64) if step is None else offsets // step
    n_buckets = int(bucket_of.max()) + 1
    b_sum = np.zeros((g, n_buckets), dtype=np.float64)
    b_hours = np.zeros((g, n_buckets), dtype=np.int64)
    for col, b in enumerate(bucket_of):
        has = present[:, col] > 0
        b_sum[:, b] += np.where(has, sums[:, col], 0)
        b_hours[:, b] += has
    if q.metric.gauge:
        b_val = np.divide(b_sum, b_hours, out=np.zeros_like(b_sum), where=b_hours > 0)
    else:
        b_val = b_sum
    bucket_ts = [q.start + timedelta(hours=int(b) * (step or 0)) for b in range(n_buckets)]

    groups = []
    for gi in range(g):
        labels = tuple((name, table[name].values[int(uniq[gi, k])]) for k, name in enumerate(q.group_by))
        live = [b for b in range(n_buckets - 1, -1, -1) if b_hours[gi, b] > 0]
        if not live:
            continue
        if zero_points:
            live = list(range(n_buckets - 1, -1, -1))
        groups.append(Group(labels=labels, timestamps=tuple(bucket_ts[b] for b in live),
                            values=tuple(float(b_val[gi, b]) for b in live)))
    groups.sort(key=lambda grp: tuple(v for _, v in grp.labels))
    return groups


def timestamp(dt: datetime, millis: bool = True) -> str:
    """`2024-05-01T01:00:00.000Z` (spec), or without the milliseconds as live answers often write it."""
    return dt.strftime("%Y-%m-%dT%H:%M:%S.000Z" if millis else "%Y-%m-%dT%H:%M:%SZ")


def filter_values(f: Filter, field: str) -> set[str]:
    """Every value `field` is compared with in the filter tree."""
    out = {f.value} if f.field == field and f.value is not None else set()
    for c in f.children:
        out |= filter_values(c, field)
    return out

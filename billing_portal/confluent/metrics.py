"""Metrics API (telemetry v2): hourly bytes by Kafka cluster and principal, and a generic `query`.

`POST /v2/metrics/cloud/query` as in ../shared/CONFLUENT_API.md. Choices made to be gentle with the real rate limit
(about 300 requests/minute/IP, shared by everything on the host):

- **Batching.** One query covers many clusters: the filter is an `OR` of `resource.kafka.id EQ` filters and the
  query groups by `["resource.kafka.id", "metric.principal_id"]`, so a group is a (cluster, principal) pair. `limit`
  (groups per page) is 1000, the maximum. The API takes one aggregation per query, so request and response bytes
  are two queries per batch. With 50 clusters per batch, a day of a large org (200 clusters × ~40 principals =
  8000 groups) is 4 batches × 2 metrics × 2 pages = 16 requests, run 4 at a time. The filter stays small enough
  to be a reasonable request, and a failed batch costs little to retry.
- **Pagination.** The *identical* body is POSTed to `…/query?page_token=TOKEN` until no `next_page_token`; a token
  seen twice is a server loop → error.
- **Intervals.** `[start, end)` is queried in chunks of at most one day (`max_interval`) to bound response size
  (points per page = groups × hours); the day asset asks for exactly one day anyway.

Tolerance: extra keys per row (e.g. `principal_name`) are ignored; points come newest first within a group and in
any order overall — the result is sorted; values may be ints or floats (bytes, float64 — not money); points outside
`[start, end)` are dropped and counted. A point **without a principal** is kept under the principal
`UNKNOWN_PRINCIPAL` ("unknown"): dropping it would hand its bytes' share of the cost to the principals that are
known, while keeping it lets allocation treat it as unattributed usage. A point without a cluster id is assigned to
the batch's cluster when the batch has one cluster, else counted in `stats["points_without_cluster"]` and dropped
(it cannot be placed). Exact repeats of a point (same metric, hour, cluster, principal) keep the first.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from billing_portal.confluent.http import ConfluentHttp
from billing_portal.errors import ConfluentApiError, ConfluentAuthError
from billing_portal.model.collected import FLINK_STATEMENT_USAGE_HOURLY, PRINCIPAL_USAGE_HOURLY

log = logging.getLogger(__name__)

QUERY_PATH = "/v2/metrics/{dataset}/query"
METRIC_PREFIX = "io.confluent.kafka.server/"
REQUEST_BYTES = METRIC_PREFIX + "request_bytes"
RESPONSE_BYTES = METRIC_PREFIX + "response_bytes"
CLUSTER_LABEL = "resource.kafka.id"
PRINCIPAL_LABEL = "metric.principal_id"
TOPIC_LABEL = "metric.topic"
# topic metrics and the columns they fill
TOPIC_METRICS = {METRIC_PREFIX + "received_bytes": "received_bytes", METRIC_PREFIX + "sent_bytes": "sent_bytes",
                 METRIC_PREFIX + "retained_bytes": "retained_bytes"}
# Flink: CFUs per statement (a gauge), per compute pool
STATEMENT_CFUS = "io.confluent.flink/statement_utilization/current_cfus"
POOL_LABEL = "resource.compute_pool.id"
STATEMENT_LABEL = "resource.flink_statement.name"
STATEMENT_COLUMNS = [c for c in FLINK_STATEMENT_USAGE_HOURLY.names() if c != "usage_date"]  # model/collected.py
UNKNOWN_PRINCIPAL = "unknown"
USAGE_COLUMNS = [c for c in PRINCIPAL_USAGE_HOURLY.names() if c != "usage_date"]  # model/collected.py
MAX_LIMIT = 1000


def _utc(value: dt.datetime) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _iso(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def metric_name(metric: str) -> str:
    """Full metric name; a bare name such as "retained_bytes" is taken from the Kafka server namespace."""
    return metric if "/" in metric else METRIC_PREFIX + metric


def cluster_filter(cluster_ids: Sequence[str], label: str = CLUSTER_LABEL) -> dict:
    eqs = [{"field": label, "op": "EQ", "value": c} for c in cluster_ids]
    return eqs[0] if len(eqs) == 1 else {"op": "OR", "filters": eqs}


def build_query(metric: str, cluster_ids: Sequence[str], start: dt.datetime, end: dt.datetime, *,
                group_by: Sequence[str], granularity: str = "PT1H", limit: int = MAX_LIMIT,
                extra_filters: Sequence[dict] = (), resource_label: str = CLUSTER_LABEL) -> dict:
    """The JSON body of one query (the `cloud` dataset requires the resource filter: Kafka clusters, or
    `resource_label` such as the compute pools)."""
    flt = cluster_filter(cluster_ids, resource_label)
    if extra_filters:
        flt = {"op": "AND", "filters": [flt, *extra_filters]}
    return {"aggregations": [{"metric": metric_name(metric)}], "filter": flt, "group_by": list(group_by),
            "granularity": granularity, "intervals": [f"{_iso(start)}/{_iso(end)}"], "limit": int(limit),
            "format": "FLAT"}


def _chunks(seq: Sequence[str], size: int) -> list[list[str]]:
    return [list(seq[i:i + size]) for i in range(0, len(seq), size)]


def _intervals(start: dt.datetime, end: dt.datetime, step: dt.timedelta) -> list[tuple[dt.datetime, dt.datetime]]:
    out, lo = [], start
    while lo < end:
        hi = min(end, lo + step)
        out.append((lo, hi))
        lo = hi
    return out


class MetricsClient:
    """Reads the Confluent Cloud Metrics API. Needs a Cloud API key with MetricsViewer (or OrganizationAdmin)."""

    def __init__(self, http: ConfluentHttp, *, max_workers: int = 4, clusters_per_query: int = 50,
                 limit: int = MAX_LIMIT, max_interval: dt.timedelta = dt.timedelta(days=1)):
        if not 1 <= limit <= MAX_LIMIT:
            raise ValueError(f"metrics limit must be between 1 and {MAX_LIMIT}, got {limit}")
        if clusters_per_query < 1:
            raise ValueError("clusters_per_query must be at least 1")
        self.http = http
        self.max_workers = max(1, int(max_workers))
        self.clusters_per_query = int(clusters_per_query)
        self.limit = int(limit)
        self.max_interval = max_interval
        # clusters whose metrics the key may not read (a 403 on a query naming only them), with the answer's detail
        self.forbidden: dict[str, str] = {}
        self._forbidden_lock = threading.Lock()

    def __repr__(self) -> str:
        return (f"MetricsClient({self.http!r}, max_workers={self.max_workers}, "
                f"clusters_per_query={self.clusters_per_query})")

    # --- raw ----------------------------------------------------------------------------------------------
    def run_query(self, body: dict, dataset: str = "cloud") -> list[dict]:
        """Every row of one query across pages (identical body re-POSTed with `page_token`)."""
        path = QUERY_PATH.format(dataset=dataset)
        rows: list[dict] = []
        page = self.http.post(path, body, api="metrics")
        seen: set[str] = set()
        restarted = False
        while True:
            if page is None:
                return rows
            if not isinstance(page, dict):
                raise ConfluentApiError(f"unexpected response from {path}: expected a JSON object", url=path)
            data = page.get("data") or []
            if not isinstance(data, list):
                raise ConfluentApiError(f"unexpected response from {path}: 'data' is not a list", url=path)
            rows.extend(r for r in data if isinstance(r, dict))
            meta = page.get("meta")
            token = meta.get("pagination", {}).get("next_page_token") if isinstance(meta, dict) and \
                isinstance(meta.get("pagination"), dict) else None
            if not token:
                return rows
            if token in seen:
                raise ConfluentApiError(f"pagination loop on {path}: next_page_token repeated after "
                                        f"{len(seen) + 1} pages", url=path)
            seen.add(token)
            try:
                page = self.http.post(path, body, params={"page_token": token}, api="metrics")
            except ConfluentApiError as exc:
                if exc.status != 400 or restarted:
                    raise
                # an expired page token answers 400: restart the query from its first page, once
                log.warning("metrics: page token rejected (%s); restarting the query from page 1", exc)
                restarted, rows, seen = True, [], set()
                page = self.http.post(path, body, api="metrics")

    def _jobs(self, metrics: Iterable[str], cluster_ids: Sequence[str], start: dt.datetime, end: dt.datetime,
              group_by: Sequence[str], granularity: str, extra_filters: Sequence[dict],
              resource_label: str = CLUSTER_LABEL) -> list[tuple[str, list, dict]]:
        clusters = sorted(dict.fromkeys(c for c in cluster_ids if c))
        jobs = []
        for lo, hi in _intervals(start, end, self.max_interval):
            for batch in _chunks(clusters, self.clusters_per_query):
                for metric in metrics:
                    def body(b, metric=metric, lo=lo, hi=hi):
                        return build_query(metric, b, lo, hi, group_by=group_by, granularity=granularity,
                                           limit=self.limit, extra_filters=extra_filters,
                                           resource_label=resource_label)
                    jobs.append((metric, batch, body))
        return jobs

    def _run_batch(self, batch: list, body, dataset: str) -> list[tuple[list, list[dict]]]:
        """The rows of a batch; on a 403 (the key may not read some of these clusters — live: "Query must filter
        by at least one of your authorized resources") the batch is split in halves until the cluster that fails
        alone is found and skipped (recorded in `forbidden`)."""
        try:
            return [(batch, self.run_query(body(batch), dataset))]
        except ConfluentAuthError as exc:
            if exc.status != 403:
                raise
            if len(batch) == 1:
                with self._forbidden_lock:
                    self.forbidden[batch[0]] = str(exc).split("\n")[0]
                log.warning("metrics: the key may not read %s (403); skipped", batch[0])
                return [(batch, [])]
            half = len(batch) // 2
            return self._run_batch(batch[:half], body, dataset) + self._run_batch(batch[half:], body, dataset)

    def _run_jobs(self, jobs: list[tuple[str, list, object]], dataset: str) -> list[tuple[str, list, list[dict]]]:
        if not jobs:
            return []
        with ThreadPoolExecutor(max_workers=min(self.max_workers, len(jobs)),
                                thread_name_prefix="ccloud-metrics") as pool:
            futures = [(metric, pool.submit(self._run_batch, batch, body, dataset)) for metric, batch, body in jobs]
            return [(metric, b, rows) for metric, fut in futures for b, rows in fut.result()]

    # --- generic ------------------------------------------------------------------------------------------
    def query(self, metric: str, cluster_ids: Sequence[str], start: dt.datetime, end: dt.datetime, *,
              group_by: Sequence[str] = (CLUSTER_LABEL,), granularity: str = "PT1H",
              extra_filters: Sequence[dict] = (), dataset: str = "cloud") -> pd.DataFrame:
        """Any metric over `[start, end)` for the clusters, e.g. `query("retained_bytes", ids, lo, hi,
        group_by=("resource.kafka.id", "metric.topic"))`. Columns: `timestamp` (UTC), one per `group_by` label
        (missing → NA), `value` (float64); sorted by timestamp then labels."""
        start, end = _utc(start), _utc(end)
        group_by = list(group_by)
        jobs = self._jobs([metric], cluster_ids, start, end, group_by, granularity, extra_filters)
        records = []
        for _, _, rows in self._run_jobs(jobs, dataset):
            for r in rows:
                records.append({"timestamp": r.get("timestamp"), **{g: r.get(g) for g in group_by},
                                "value": _float(r.get("value"))})
        frame = pd.DataFrame.from_records(records, columns=["timestamp", *group_by, "value"])
        frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True, errors="coerce", format="ISO8601")
        for g in group_by:
            frame[g] = frame[g].astype("str")
        frame["value"] = frame["value"].astype("float64")
        frame = frame[(frame["timestamp"] >= pd.Timestamp(start)) & (frame["timestamp"] < pd.Timestamp(end))]
        return frame.sort_values(["timestamp", *group_by], kind="stable").reset_index(drop=True)

    # --- principal usage ----------------------------------------------------------------------------------
    def fetch_principal_usage(self, cluster_ids: Sequence[str], start: dt.datetime, end: dt.datetime
                              ) -> pd.DataFrame:
        """Bytes per hour, cluster and principal over `[start, end)` at PT1H: columns `hour` (UTC), `cluster_id`,
        `principal_id`, `request_bytes`, `response_bytes` (float64, 0 where one metric has no point).
        Naive datetimes are taken as UTC. `frame.attrs["stats"]` counts requests, points and anything dropped."""
        start, end = _utc(start), _utc(end)
        stats: dict[str, Any] = {"points": 0, "points_outside_window": 0, "points_without_cluster": 0,
                                 "invalid_values": 0, "duplicate_points": 0, "unknown_principal_points": 0,
                                 "zero_points": 0}
        if not start < end or not cluster_ids:
            frame = _usage_frame([])
            frame.attrs["stats"] = stats
            return frame
        before = self.http.request_count
        jobs = self._jobs((REQUEST_BYTES, RESPONSE_BYTES), cluster_ids, start, end,
                          (CLUSTER_LABEL, PRINCIPAL_LABEL), "PT1H", ())
        points: list[tuple] = []
        for metric, batch, rows in self._run_jobs(jobs, "cloud"):
            column = "request_bytes" if metric == REQUEST_BYTES else "response_bytes"
            for r in rows:
                cluster = r.get(CLUSTER_LABEL) or (batch[0] if len(batch) == 1 else None)
                if not cluster:
                    stats["points_without_cluster"] += 1
                    continue
                value = _float(r.get("value"))
                if value is None:
                    stats["invalid_values"] += 1
                    continue
                if value == 0:  # live answers carry zero-valued points for hours without activity
                    stats["zero_points"] += 1
                    continue
                principal = r.get(PRINCIPAL_LABEL)
                points.append((column, r.get("timestamp"), str(cluster), principal, value))
        stats["points"] = len(points)
        frame = _pivot(points, start, end, stats)
        stats["requests"] = self.http.request_count - before
        stats["forbidden_clusters"] = {c: r for c, r in self.forbidden.items() if c in set(cluster_ids)}
        stats["queries"] = len(jobs)
        log.info("metrics %s..%s: %d clusters, %d queries, %d requests, %d rows", _iso(start), _iso(end),
                 len(set(cluster_ids)), len(jobs), stats["requests"], len(frame))
        frame.attrs["stats"] = stats
        return frame


    # --- topic usage --------------------------------------------------------------------------------------
    def fetch_topic_usage(self, cluster_ids: Sequence[str], start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
        """Per hour, cluster and topic over `[start, end)` at PT1H: `received_bytes` and `sent_bytes` (counters: the
        hour's bytes) and `retained_bytes` (gauge: the hour's average, summed over partitions), grouped by
        `resource.kafka.id` and `metric.topic` — three queries per batch of clusters. Columns: `hour`,
        `cluster_id`, `topic`, the three byte columns (0 where a metric has no point). Zero-valued points dropped."""
        start, end = _utc(start), _utc(end)
        stats: dict[str, Any] = {"points": 0, "zero_points": 0, "points_without_topic": 0}
        columns = ["hour", "cluster_id", "topic", *TOPIC_METRICS.values()]
        if not start < end or not cluster_ids:
            frame = pd.DataFrame(columns=columns)
            frame.attrs["stats"] = stats
            return frame
        before = self.http.request_count
        jobs = self._jobs(tuple(TOPIC_METRICS), cluster_ids, start, end, (CLUSTER_LABEL, TOPIC_LABEL), "PT1H", ())
        cells: dict[tuple, dict[str, float]] = {}
        for metric, batch, rows in self._run_jobs(jobs, "cloud"):
            column = TOPIC_METRICS[metric]
            for r in rows:
                cluster = r.get(CLUSTER_LABEL) or (batch[0] if len(batch) == 1 else None)
                topic = r.get(TOPIC_LABEL)
                value = _float(r.get("value"))
                if not cluster or not topic:
                    stats["points_without_topic"] += 1
                    continue
                if not value:
                    stats["zero_points"] += 1
                    continue
                cell = cells.setdefault((r.get("timestamp"), str(cluster), str(topic)), {})
                cell[column] = cell.get(column, 0.0) + value
                stats["points"] += 1
        frame = pd.DataFrame([(h, c, t, *(v.get(col, 0.0) for col in TOPIC_METRICS.values()))
                              for (h, c, t), v in cells.items()], columns=columns)
        frame["hour"] = pd.to_datetime(frame["hour"], utc=True, errors="coerce", format="ISO8601")
        frame = frame[(frame["hour"] >= pd.Timestamp(start)) & (frame["hour"] < pd.Timestamp(end))]
        frame = frame.groupby(["hour", "cluster_id", "topic"], as_index=False).sum()
        frame = frame.sort_values(["hour", "cluster_id", "topic"], kind="stable").reset_index(drop=True)
        stats["requests"] = self.http.request_count - before
        stats["forbidden_clusters"] = {c: r for c, r in self.forbidden.items() if c in set(cluster_ids)}
        frame.attrs["stats"] = stats
        return frame


    def fetch_statement_usage(self, pool_ids: Sequence[str], start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
        """CFUs per hour, compute pool and statement over `[start, end)` at PT1H (`current_cfus` is a gauge: the hour's
        average), grouped by `resource.compute_pool.id` and `resource.flink_statement.name`. Columns: `hour`,
        `cluster_id` (the pool), `statement_name`, `cfus`. Zero-valued points dropped."""
        start, end = _utc(start), _utc(end)
        stats: dict[str, Any] = {"points": 0, "zero_points": 0, "points_without_statement": 0}
        if not start < end or not pool_ids:
            frame = pd.DataFrame(columns=STATEMENT_COLUMNS)
            frame.attrs["stats"] = stats
            return frame
        before = self.http.request_count
        jobs = self._jobs((STATEMENT_CFUS,), pool_ids, start, end, (POOL_LABEL, STATEMENT_LABEL), "PT1H", (),
                          resource_label=POOL_LABEL)
        cells: dict[tuple, float] = {}
        for _, batch, rows in self._run_jobs(jobs, "cloud"):
            for r in rows:
                pool = r.get(POOL_LABEL) or (batch[0] if len(batch) == 1 else None)
                name = r.get(STATEMENT_LABEL)
                value = _float(r.get("value"))
                if not pool or not name:
                    stats["points_without_statement"] += 1
                    continue
                if not value:
                    stats["zero_points"] += 1
                    continue
                key = (r.get("timestamp"), str(pool), str(name))
                cells[key] = cells.get(key, 0.0) + value
                stats["points"] += 1
        frame = pd.DataFrame([(h, p, n, v) for (h, p, n), v in cells.items()], columns=STATEMENT_COLUMNS)
        frame["hour"] = pd.to_datetime(frame["hour"], utc=True, errors="coerce", format="ISO8601")
        frame = frame[(frame["hour"] >= pd.Timestamp(start)) & (frame["hour"] < pd.Timestamp(end))]
        frame = frame.groupby(["hour", "cluster_id", "statement_name"], as_index=False).sum()
        frame = frame.sort_values(["hour", "cluster_id", "statement_name"], kind="stable").reset_index(drop=True)
        stats["requests"] = self.http.request_count - before
        stats["forbidden_clusters"] = {c: r for c, r in self.forbidden.items() if c in set(pool_ids)}
        frame.attrs["stats"] = stats
        return frame

def _float(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if np.isfinite(f) else None


def _usage_frame(records: list[dict] | pd.DataFrame) -> pd.DataFrame:
    frame = records if isinstance(records, pd.DataFrame) else pd.DataFrame.from_records(records,
                                                                                          columns=USAGE_COLUMNS)
    frame = frame[USAGE_COLUMNS].copy()
    frame["hour"] = pd.to_datetime(frame["hour"], utc=True)
    frame["cluster_id"] = frame["cluster_id"].astype("str")
    frame["principal_id"] = frame["principal_id"].astype("str")
    frame["request_bytes"] = frame["request_bytes"].astype("float64")
    frame["response_bytes"] = frame["response_bytes"].astype("float64")
    return frame.reset_index(drop=True)


def _pivot(points: list[tuple], start: dt.datetime, end: dt.datetime, stats: dict) -> pd.DataFrame:
    if not points:
        return _usage_frame([])
    df = pd.DataFrame.from_records(points, columns=["metric", "hour", "cluster_id", "principal_raw", "value"])
    df["hour"] = pd.to_datetime(df["hour"], utc=True, errors="coerce", format="ISO8601")
    bad_time = df["hour"].isna()
    stats["invalid_values"] += int(bad_time.sum())
    df = df[~bad_time]
    inside = (df["hour"] >= pd.Timestamp(start)) & (df["hour"] < pd.Timestamp(end))
    stats["points_outside_window"] += int((~inside).sum())
    df = df[inside]
    before = len(df)
    df = df.drop_duplicates(subset=["metric", "hour", "cluster_id", "principal_raw"], keep="first")
    stats["duplicate_points"] += before - len(df)
    missing = df["principal_raw"].isna() | (df["principal_raw"].astype("str").str.strip() == "")
    stats["unknown_principal_points"] += int(missing.sum())
    df = df.assign(principal_id=df["principal_raw"].astype("str").where(~missing, UNKNOWN_PRINCIPAL))
    wide = df.pivot_table(index=["hour", "cluster_id", "principal_id"], columns="metric", values="value",
                          aggfunc="sum", fill_value=0.0)
    wide = wide.reindex(columns=["request_bytes", "response_bytes"], fill_value=0.0).reset_index()
    wide.columns.name = None
    wide = wide.sort_values(["hour", "cluster_id", "principal_id"], kind="stable")
    return _usage_frame(wide)

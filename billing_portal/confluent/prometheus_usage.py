"""Usage history from a Prometheus that scraped Confluent's `/v2/metrics/cloud/export` (USAGE_PROMETHEUS_URL).

The export endpoint answers only the latest point per series: for byte counters, the bytes of the last minute
(typed gauge) stamped with the minute's start, e.g.
`confluent_kafka_server_request_bytes{kafka_id="lkc-…", principal_id="sa-…", type="Produce"}`. A Prometheus scraping
it every minute (honouring timestamps) holds one sample per series and minute; the bytes of hour H are the sum of
the samples stamped in [H, H+1h):

    sum by (kafka_id, principal_id) (sum_over_time(confluent_kafka_server_request_bytes{kafka_id=~"…"}[1h]))

evaluated by `/api/v1/query_range` one second before every hour end of the day (step 1 h), so that the window
(H − 1 s, H + 1 h − 1 s] holds exactly the hour's samples whether the range's left end is open or closed. Request and response bytes are two
queries per batch of clusters. The result has the shape of the Metrics API client's (hour, cluster_id,
principal_id, request_bytes, response_bytes). A scrape interval other than one minute makes these sums wrong by that
factor: the docs say so, and the allocation only uses the bytes as weights within a cluster-hour.

Errors are one line (`PrometheusUsageError`): an unreachable server, a non-Prometheus answer, a failed query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from billing_portal.confluent.metrics import USAGE_COLUMNS
from billing_portal.errors import BillingPortalError

REQUEST_METRIC = "confluent_kafka_server_request_bytes"
RESPONSE_METRIC = "confluent_kafka_server_response_bytes"
BATCH = 40


class PrometheusUsageError(BillingPortalError):
    """USAGE_PROMETHEUS_URL could not be read (one line, names the URL without credentials)."""


def _query(metric: str, clusters: Sequence[str]) -> str:
    ids = "|".join(c.replace("\\", "").replace('"', "") for c in clusters)
    return f'sum by (kafka_id, principal_id) (sum_over_time({metric}{{kafka_id=~"{ids}"}}[1h]))'


class PrometheusUsageClient:
    def __init__(self, url: str, timeout: float = 30.0):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        retry = Retry(total=3, backoff_factor=0.5, status_forcelist=(429, 502, 503, 504),
                      allowed_methods=frozenset({"GET", "POST"}))
        self.session.mount("http://", HTTPAdapter(max_retries=retry))
        self.session.mount("https://", HTTPAdapter(max_retries=retry))
        self.request_count = 0

    def _where(self) -> str:
        from urllib.parse import urlsplit

        p = urlsplit(self.url)
        return f"USAGE_PROMETHEUS_URL {p.scheme}://{p.hostname}{':' + str(p.port) if p.port else ''}{p.path}"

    def _range(self, promql: str, start: dt.datetime, end: dt.datetime) -> list[dict]:
        params = {"query": promql, "start": start.timestamp(), "end": end.timestamp(), "step": "3600"}
        try:
            self.request_count += 1
            r = self.session.post(self.url + "/api/v1/query_range", data=params, timeout=self.timeout)
        except requests.exceptions.RequestException as exc:
            reason = getattr(exc, "args", [None])[0]
            text = str(reason.reason if hasattr(reason, "reason") else reason or exc).split(": ")[-1]
            raise PrometheusUsageError(f"{self._where()}: cannot connect ({text})") from None
        try:
            body = r.json()
        except ValueError:
            raise PrometheusUsageError(f"{self._where()}: not a Prometheus API (HTTP {r.status_code}, "
                                       f"{r.headers.get('Content-Type', 'no content type')})") from None
        if r.status_code != 200 or body.get("status") != "success":
            raise PrometheusUsageError(f"{self._where()}: query failed (HTTP {r.status_code}: "
                                       f"{body.get('errorType', '')} {body.get('error', '')})".rstrip())
        return body.get("data", {}).get("result", [])

    def check(self) -> None:
        """Fail with one line unless the URL answers like a Prometheus server."""
        try:
            r = self.session.get(self.url + "/api/v1/status/buildinfo", timeout=self.timeout)
        except requests.exceptions.RequestException as exc:
            raise PrometheusUsageError(f"{self._where()}: cannot connect ({type(exc).__name__})") from None
        if r.status_code != 200 or "application/json" not in r.headers.get("Content-Type", ""):
            raise PrometheusUsageError(f"{self._where()}: not a Prometheus API (HTTP {r.status_code})")

    def fetch_principal_usage(self, cluster_ids: Sequence[str], start: dt.datetime, end: dt.datetime
                              ) -> pd.DataFrame:
        """Bytes per hour, cluster and principal over [start, end) (whole hours, UTC)."""
        cells: dict[tuple, list[float]] = {}
        clusters = sorted(set(cluster_ids))
        for i in range(0, len(clusters), BATCH):
            batch = clusters[i:i + BATCH]
            for pos, metric in enumerate((REQUEST_METRIC, RESPONSE_METRIC)):
                # the value at t = H + 1h - 1s sums the samples stamped in [H, H + 1h)
                for series in self._range(_query(metric, batch), start + dt.timedelta(hours=1, seconds=-1),
                                          end - dt.timedelta(seconds=1)):
                    labels = series.get("metric", {})
                    cluster, principal = labels.get("kafka_id"), labels.get("principal_id") or "unknown"
                    if not cluster:
                        continue
                    for ts, value in series.get("values", []):
                        hour = dt.datetime.fromtimestamp(round(float(ts)) + 1, dt.UTC) - dt.timedelta(hours=1)
                        if not start <= hour < end:
                            continue
                        try:
                            v = float(value)
                        except (TypeError, ValueError):
                            continue
                        cell = cells.setdefault((hour, cluster, principal), [0.0, 0.0])
                        cell[pos] += max(v, 0.0)
        rows = [(h, c, p, v[0], v[1]) for (h, c, p), v in sorted(cells.items()) if v[0] > 0 or v[1] > 0]
        frame = pd.DataFrame(rows, columns=USAGE_COLUMNS)
        frame["hour"] = pd.to_datetime(frame["hour"], utc=True)
        frame.attrs["stats"] = {"requests": self.request_count, "points": len(rows)}
        return frame

"""KAFKA_NETWORK_WRITE / KAFKA_NETWORK_READ: each principal's share of the cluster's bytes, hour by hour.

Write follows `request_bytes` (client → broker, produce), read follows `response_bytes` (broker → client, fetch).
Row weight = the principal's bytes in that hour, so the line lands on the hours and principals in proportion to the
measured traffic of the day: method `usage_share`, reason `network_bytes_share`, confidence high.

Bytes read from the Prometheus usage history (days the Metrics API no longer had when first processed) give reason
`usage_from_prometheus`, confidence medium (a scrape gap or another scrape interval skews the shares).

Without bytes for the line (usage never captured and expired from the Metrics API: `usage_expired_before_capture`;
no metrics for the cluster otherwise: `no_metrics_for_cluster`; metrics but zero bytes in that direction:
`zero_usage_for_line`) → the fallback ladder (rules/fallback.py), never high confidence.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from billing_portal.allocation.joins import ranges
from billing_portal.allocation.rules.fallback import ladder
from billing_portal.allocation.vocabulary import (
    FROM_PROMETHEUS,
    USAGE_EXPIRED,
    Confidence,
    Method,
    Reason,
    confidence_code,
    method_code,
    reason_code,
)
from billing_portal.allocation.weights import concat_weights, weights_frame

if TYPE_CHECKING:
    from billing_portal.allocation.context import Context


def why_no_usage(ctx: Context, c: np.ndarray) -> np.ndarray:
    """`zero_usage_for_line` when the cluster has usage rows that day, else `usage_expired_before_capture` when its
    usage expired from the Metrics API before it was captured, else `no_metrics_for_cluster`."""
    has_rows = np.zeros(len(c), dtype=bool)
    ok = c >= 0
    has_rows[ok] = ctx.usage.count[c[ok]] > 0
    expired = ctx.source_of(c) == USAGE_EXPIRED
    return np.where(has_rows, reason_code(Reason.ZERO_USAGE_FOR_LINE),
                    np.where(expired, reason_code(Reason.USAGE_EXPIRED_BEFORE_CAPTURE),
                             reason_code(Reason.NO_METRICS_FOR_CLUSTER)))


def usage_reason(ctx: Context, c: np.ndarray, reason: Reason) -> np.ndarray:
    """`reason` per row, or `usage_from_prometheus` where the cluster's usage came from the Prometheus history."""
    return np.where(ctx.source_of(c) == FROM_PROMETHEUS, reason_code(Reason.USAGE_FROM_PROMETHEUS),
                    reason_code(reason)).astype(np.int16)


def hourly_usage_rows(ctx: Context, idx: np.ndarray, c: np.ndarray, metric: np.ndarray):
    """(line, hour, principal, bytes) for every usage row of each line's cluster, in the line's metric."""
    u = ctx.usage
    pos, j = ranges(u.start[c], u.count[c])
    return idx[pos], u.hour[j], u.principal[j], u.values[j, metric[pos]]


def allocate(lines: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    c = lines["cluster"].to_numpy()
    metric = lines["metric"].to_numpy()
    ok = ctx.usage.cluster_total(c, metric) > 0
    parts = []
    if ok.any():
        line, hour, p, w = hourly_usage_rows(ctx, lines["idx"].to_numpy()[ok], c[ok], metric[ok])
        row_c = ctx.lines["cluster"].to_numpy()[line]
        prom = ctx.source_of(row_c) == FROM_PROMETHEUS
        parts.append(weights_frame(line, hour, p, p, method_code(Method.USAGE_SHARE),
                                   usage_reason(ctx, row_c, Reason.NETWORK_BYTES_SHARE),
                                   np.where(prom, confidence_code(Confidence.MEDIUM), confidence_code(Confidence.HIGH)),
                                   w))
    if (~ok).any():
        parts.append(ladder(lines[~ok], ctx, why_no_usage(ctx, c[~ok])))
    return concat_weights(parts)

"""KAFKA_NETWORK_WRITE / KAFKA_NETWORK_READ: each principal's share of the cluster's bytes, hour by hour.

Write follows `request_bytes` (client → broker, produce), read follows `response_bytes` (broker → client, fetch).
Row weight = the principal's bytes in that hour, so the line lands on the hours and principals in proportion to the
measured traffic of the day: method `usage_share`, reason `network_bytes_share`, confidence high.

Without bytes for the line (no metrics for the cluster: `no_metrics_for_cluster`; metrics but zero bytes in that
direction: `zero_usage_for_line`) → the fallback ladder (rules/fallback.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from billing_portal.allocation.joins import ranges
from billing_portal.allocation.rules.fallback import ladder
from billing_portal.allocation.vocabulary import Confidence, Method, Reason, confidence_code, method_code, reason_code
from billing_portal.allocation.weights import concat_weights, weights_frame

if TYPE_CHECKING:
    from billing_portal.allocation.context import Context


def why_no_usage(ctx: Context, c: np.ndarray) -> np.ndarray:
    """`zero_usage_for_line` when the cluster has usage rows that day, else `no_metrics_for_cluster`."""
    has_rows = np.zeros(len(c), dtype=bool)
    ok = c >= 0
    has_rows[ok] = ctx.usage.count[c[ok]] > 0
    return np.where(has_rows, reason_code(Reason.ZERO_USAGE_FOR_LINE), reason_code(Reason.NO_METRICS_FOR_CLUSTER))


def hourly_usage_rows(ctx: Context, idx: np.ndarray, c: np.ndarray, metric: np.ndarray):
    """(line, hour, principal, bytes) for every usage row of each line's cluster, in the line's metric."""
    u = ctx.usage
    pos, j = ranges(u.start[c], u.count[c])
    return idx[pos], u.h[j], u.p[j], u.values[j, metric[pos]]


def allocate(lines: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    c = lines["c"].to_numpy()
    metric = lines["metric"].to_numpy()
    ok = ctx.usage.cluster_total(c, metric) > 0
    parts = []
    if ok.any():
        line, hour, p, w = hourly_usage_rows(ctx, lines["idx"].to_numpy()[ok], c[ok], metric[ok])
        parts.append(weights_frame(line, hour, p, p, method_code(Method.USAGE_SHARE),
                                   reason_code(Reason.NETWORK_BYTES_SHARE), confidence_code(Confidence.HIGH), w))
    if (~ok).any():
        parts.append(ladder(lines[~ok], ctx, why_no_usage(ctx, c[~ok])))
    return concat_weights(parts)

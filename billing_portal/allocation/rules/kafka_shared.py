"""Shared cluster costs (KAFKA_BASE, KAFKA_NUM_CKUS/CKU, KAFKA_PARTITION, KAFKA_STORAGE, KAFKA_REST_PRODUCE,
KAFKA_STREAMS, CLUSTER_LINKING_*, TABLEFLOW_*, USM_CONNECTED_NODE): a configurable split per line type
(AllocationConfig.shared_splits), confidence medium.

- `usage`  (reason `cluster_usage_share`, or `usage_from_prometheus` when the bytes came from the Prometheus usage
  history): by each principal's bytes (`metric`: total | request | response).
  Capacity lines: the principal's share of the day's bytes, spread evenly over the hours. Usage-driven lines (e.g.
  KAFKA_REST_PRODUCE): the principal's bytes hour by hour, like network lines.
- `even`   (reason `shared_even_split`): evenly over the cluster's active principals (API-key holders on the cluster
  and principals seen in its metrics that day).
- `hybrid` (reason `shared_hybrid_split`): weight = ratio × usage share + (1 − ratio) × 1/active principals.

A split that cannot be computed (usage or hybrid without bytes: `usage_expired_before_capture` /
`no_metrics_for_cluster` / `zero_usage_for_line`;
even without active principals: `no_active_principals`) → the fallback ladder (rules/fallback.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from billing_portal.allocation.context import EVEN, HYBRID, USAGE
from billing_portal.allocation.hours import HOURS
from billing_portal.allocation.joins import lookup, ranges
from billing_portal.allocation.rules.fallback import active_pairs, ladder
from billing_portal.allocation.rules.kafka_network import hourly_usage_rows, usage_reason, why_no_usage
from billing_portal.allocation.vocabulary import Confidence, Method, Reason, confidence_code, method_code, reason_code
from billing_portal.allocation.weights import concat_weights, over_hours, weights_frame

if TYPE_CHECKING:
    from billing_portal.allocation.context import Context

MEDIUM = confidence_code(Confidence.MEDIUM)


def _by_usage(lines: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    idx, c, metric = (lines[k].to_numpy() for k in ("idx", "cluster", "metric"))
    driven = lines["usage_driven"].to_numpy(dtype=bool)
    method = method_code(Method.USAGE_SHARE)
    parts = []
    if driven.any():
        line, hour, p, w = hourly_usage_rows(ctx, idx[driven], c[driven], metric[driven])
        reason = usage_reason(ctx, ctx.lines["cluster"].to_numpy()[line], Reason.CLUSTER_USAGE_SHARE)
        parts.append(weights_frame(line, hour, p, p, method, reason, MEDIUM, w))
    if (~driven).any():
        u = ctx.usage
        cc, mm = c[~driven], metric[~driven]
        pos, j = ranges(u.daily_start[cc], u.daily_count[cc])
        reason = usage_reason(ctx, cc[pos], Reason.CLUSTER_USAGE_SHARE)
        parts.append(over_hours(ctx, idx[~driven][pos], u.daily_principal[j], u.daily_principal[j], method, reason, MEDIUM,
                                u.daily_values[j, mm[pos]]))
    return concat_weights(parts)


def _even(lines: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    pos, p = active_pairs(ctx, lines["cluster"].to_numpy())
    return over_hours(ctx, lines["idx"].to_numpy()[pos], p, p, method_code(Method.EVEN_ACTIVE_PRINCIPALS),
                      reason_code(Reason.SHARED_EVEN_SPLIT), MEDIUM, 1.0)


def _hybrid(lines: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """ratio × (principal's bytes / cluster bytes) + (1 − ratio) / n_active, over the active principals."""
    u = ctx.usage
    idx, c, metric = (lines[k].to_numpy() for k in ("idx", "cluster", "metric"))
    ratio = lines["usage_ratio"].to_numpy()
    driven = lines["usage_driven"].to_numpy(dtype=bool)
    total = u.cluster_total(c, metric)
    n_active = ctx.n_active(c)
    method, reason = method_code(Method.HYBRID), reason_code(Reason.SHARED_HYBRID_SPLIT)
    pos, p = active_pairs(ctx, c)
    parts = []
    cap = ~driven[pos]
    if cap.any():
        q = pos[cap]
        used = _daily_metric(ctx, c[q], p[cap], metric[q])
        w = ratio[q] * used / total[q] + (1.0 - ratio[q]) / n_active[q]
        parts.append(over_hours(ctx, idx[q], p[cap], p[cap], method, reason, MEDIUM, w))
    if (~cap).any():
        q, pp = pos[~cap], p[~cap]
        rep = np.repeat(np.arange(len(q)), HOURS)
        hour = np.tile(np.arange(HOURS), len(q))
        qq, ppp = q[rep], pp[rep]
        used = _hourly_metric(ctx, c[qq], hour, ppp, metric[qq])
        w = ratio[qq] * used / total[qq] + (1.0 - ratio[qq]) * ctx.profile[idx[qq], hour] / n_active[qq]
        parts.append(weights_frame(idx[qq], hour, ppp, ppp, method, reason, MEDIUM, w))
    return concat_weights(parts)


def _daily_metric(ctx: Context, c: np.ndarray, p: np.ndarray, metric: np.ndarray) -> np.ndarray:
    u = ctx.usage
    out = np.zeros(len(c))
    for m in np.unique(metric):
        sel = metric == m
        out[sel] = lookup(u.daily_key, u.daily_values[:, m], c[sel] * u.n_principals + p[sel])
    return out


def _hourly_metric(ctx: Context, c: np.ndarray, h: np.ndarray, p: np.ndarray, metric: np.ndarray) -> np.ndarray:
    u = ctx.usage
    out = np.zeros(len(c))
    key = u.key
    for m in np.unique(metric):
        sel = metric == m
        out[sel] = lookup(key, u.values[:, m], (c[sel] * HOURS + h[sel]) * u.n_principals + p[sel])
    return out


def allocate(lines: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    c, metric, split = (lines[k].to_numpy() for k in ("cluster", "metric", "split"))
    has_usage = ctx.usage.cluster_total(c, metric) > 0
    has_active = ctx.n_active(c) > 0
    usage_ok = (split == USAGE) & has_usage
    even_ok = (split == EVEN) & has_active
    hybrid_ok = (split == HYBRID) & has_usage & has_active
    rest = ~(usage_ok | even_ok | hybrid_ok)
    why = np.where(split[rest] == EVEN, reason_code(Reason.NO_ACTIVE_PRINCIPALS), why_no_usage(ctx, c[rest]))
    return concat_weights([
        _by_usage(lines[usage_ok], ctx) if usage_ok.any() else None,
        _even(lines[even_ok], ctx) if even_ok.any() else None,
        _hybrid(lines[hybrid_ok], ctx) if hybrid_ok.any() else None,
        ladder(lines[rest], ctx, why) if rest.any() else None,
    ])

"""The weights frame: what every rule returns, and the only thing the rounding step reads.

One row per (bill line, hour, principal) with a float weight (relative within the line; only usage makes it
non-uniform), the `subject` whose owner/team/… the fact will carry (the principal itself, or the resource /
environment for owner tiers), and the codes of method, reason and confidence (billing_portal.allocation.vocabulary).
All columns are integer codes or float weights: ids are codes into `Context.ids`, `line` is a row of `Context.lines`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from billing_portal.allocation.hours import HOURS

if TYPE_CHECKING:
    from billing_portal.allocation.context import Context

WEIGHT_COLUMNS = ("line", "hour", "principal", "subject", "method", "reason", "confidence", "weight")
_DTYPES = {"line": np.int32, "hour": np.int8, "principal": np.int32, "subject": np.int32, "method": np.int8,
           "reason": np.int16, "confidence": np.int8, "weight": np.float64}


def _col(value, n: int, dtype) -> np.ndarray:
    arr = np.asarray(value, dtype=dtype)
    return np.broadcast_to(arr, (n,)).copy() if arr.ndim == 0 else arr


def weights_frame(line, hour, principal, subject, method, reason, confidence, weight) -> pd.DataFrame:
    """A weights frame from arrays (scalars broadcast). Rows with weight ≤ 0 are dropped."""
    n = len(np.asarray(line))
    cols = dict(zip(WEIGHT_COLUMNS, (line, hour, principal, subject, method, reason, confidence, weight),
                    strict=True))
    data = {k: _col(v, n, _DTYPES[k]) for k, v in cols.items()}
    keep = data["weight"] > 0
    if not keep.all():
        data = {k: v[keep] for k, v in data.items()}
    return pd.DataFrame(data, copy=False)


def empty_weights() -> pd.DataFrame:
    return pd.DataFrame({k: np.zeros(0, dtype=t) for k, t in _DTYPES.items()})


def over_hours(ctx: Context, line, principal, subject, method, reason, confidence, pair_weight) -> pd.DataFrame:
    """Pairs (line, principal) spread over the 24 hours by each line's hour profile: weight = pair × profile."""
    line = np.asarray(line, dtype=np.int64)
    n = len(line)
    cols = [_col(x, n, t) for x, t in ((principal, np.int64), (subject, np.int64), (method, np.int8),
                                       (reason, np.int16), (confidence, np.int8), (pair_weight, np.float64))]
    # Hour-major order: rounding breaks ties by row order, so equal shares alternate between principals first
    # (per-principal totals of an even split differ by at most one unit).
    rep = np.tile(np.arange(n), HOURS)
    hour = np.repeat(np.arange(HOURS, dtype=np.int8), n)
    w = cols[5][rep] * ctx.profile[line[rep], hour]
    return weights_frame(line[rep], hour, cols[0][rep], cols[1][rep], cols[2][rep], cols[3][rep], cols[4][rep], w)


def concat_weights(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if f is not None and len(f)]
    if not frames:
        return empty_weights()
    if len(frames) == 1:
        return frames[0]
    return pd.DataFrame({k: np.concatenate([f[k].to_numpy() for f in frames]) for k in WEIGHT_COLUMNS}, copy=False)

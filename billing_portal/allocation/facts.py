"""Turning rounded weight rows into the facts frame (FACT_COLUMNS): line columns and id attributes are taken by
integer code with Arrow (no per-row Python), strings come out as pandas' default `str` dtype."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from billing_portal.allocation.inputs import FACT_COLUMNS
from billing_portal.allocation.vocabulary import CONFIDENCES, METHODS, REASONS
from billing_portal.ownership.frames import text

if TYPE_CHECKING:
    from billing_portal.allocation.context import Context

_STR = pd.StringDtype("pyarrow", na_value=np.nan)


def take_strings(values, codes: np.ndarray) -> pd.Series:
    """values[codes] as a `str` Series (None → NaN), via Arrow's take."""
    dictionary = pa.array([text(v) for v in values], type=pa.large_string())
    taken = dictionary.take(pa.array(np.asarray(codes, dtype=np.int64)))
    return pd.Series(pd.arrays.ArrowStringArray(taken, dtype=_STR), copy=False)


def build_facts(ctx: Context, line: np.ndarray, hour: np.ndarray, principal: np.ndarray, subject: np.ndarray,
                method: np.ndarray, reason: np.ndarray, confidence: np.ndarray, units: np.ndarray) -> pd.DataFrame:
    """The facts frame, one row per element of the (aligned) arrays, in their order."""
    n = len(line)
    lines, ids = ctx.lines, ctx.ids
    start = np.datetime64(ctx.usage_date, "ns")
    hours = pd.DatetimeIndex(start + hour.astype("timedelta64[h]").astype("timedelta64[ns]")).tz_localize("UTC")
    out = {
        "usage_date": pd.Series(np.full(n, ctx.usage_date, dtype=object), dtype=object),
        "hour": pd.Series(hours, copy=False),
        "line_no": pd.Series(lines["line_no"].to_numpy(np.int64)[line], copy=False),
    }
    for col in ("org_id", "env_id", "resource_id", "resource_type", "cluster_id", "product", "line_type"):
        out[col] = take_strings(lines[col].tolist(), line)
    out["principal_id"] = take_strings(ids.index.tolist(), principal)
    out["principal_type"] = take_strings(ids.principal_type.tolist(), principal)
    for col in ("owner", "team", "business_unit", "business_product", "cost_center"):
        out[col] = take_strings(ids.attrs[col].tolist(), subject)
    out["amount_units"] = pd.Series(units.astype(np.int64), copy=False)
    out["allocation_method"] = take_strings([str(m) for m in METHODS], method)
    out["allocation_reason"] = take_strings([str(r) for r in REASONS], reason)
    out["confidence"] = take_strings([str(c) for c in CONFIDENCES], confidence)
    frame = pd.DataFrame(out, copy=False)
    return frame[list(FACT_COLUMNS)]

"""Turning rounded weight rows into the facts: an Arrow table with the columns FACT_COLUMNS whose strings are
dictionary-encoded straight from the allocation's integer codes (no string is materialized per row, nothing is hashed
again: the writer's COPY text and the rollups work on the codes). `facts_frame` gives the same rows as a pandas frame
(`str` columns, None → NaN) for code that wants one."""

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
HOUR_TYPE = pa.timestamp("us", tz="UTC")


def dictionary_column(values, codes: np.ndarray) -> pa.DictionaryArray:
    """values[codes] as a dictionary array with distinct values (None → null), without building a string per row."""
    labels, uniques = pd.factorize(pd.Series([text(v) for v in values], dtype=object), use_na_sentinel=True)
    indices = labels.astype(np.int32)[np.asarray(codes, dtype=np.int64)] if len(labels) else \
        np.full(len(codes), -1, np.int32)
    mask = indices < 0
    return pa.DictionaryArray.from_arrays(pa.array(indices, mask=mask if mask.any() else None),
                                          pa.array(list(uniques), pa.string()))


def build_facts(ctx: Context, line: np.ndarray, hour: np.ndarray, principal: np.ndarray, subject: np.ndarray,
                method: np.ndarray, reason: np.ndarray, confidence: np.ndarray, units: np.ndarray) -> pa.Table:
    """The facts, one row per element of the (aligned) arrays, in their order."""
    n = len(line)
    lines, ids = ctx.lines, ctx.ids
    start = np.datetime64(ctx.usage_date, "us")
    out = {
        "usage_date": pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int32)),
                                                     pa.array([ctx.usage_date], pa.date32())),
        "hour": pa.array(start + hour.astype("timedelta64[h]").astype("timedelta64[us]"), HOUR_TYPE),
        "line_no": pa.array(lines["line_no"].to_numpy(np.int64)[line]),
    }
    for col in ("org_id", "env_id", "resource_id", "resource_type", "cluster_id", "product", "line_type"):
        out[col] = dictionary_column(lines[col].tolist(), line)
    out["principal_id"] = dictionary_column(ids.index.tolist(), principal)
    out["principal_type"] = dictionary_column(ids.principal_type.tolist(), principal)
    for col in ("owner", "team", "business_unit", "business_product", "cost_center"):
        out[col] = dictionary_column(ids.attrs[col].tolist(), subject)
    out["amount_units"] = pa.array(units.astype(np.int64))
    out["allocation_method"] = dictionary_column([str(m) for m in METHODS], method)
    out["allocation_reason"] = dictionary_column([str(r) for r in REASONS], reason)
    out["confidence"] = dictionary_column([str(c) for c in CONFIDENCES], confidence)
    return pa.table({c: out[c] for c in FACT_COLUMNS})


def facts_frame(table: pa.Table) -> pd.DataFrame:
    """The facts as a pandas frame: strings as `str` (None → NaN), `usage_date` as date objects, `hour` as UTC
    timestamps, `line_no` and `amount_units` int64."""
    out = {}
    for name in table.column_names:
        col = table.column(name).combine_chunks()
        if name == "usage_date":
            out[name] = pd.Series(col.dictionary_decode().to_pylist() if pa.types.is_dictionary(col.type)
                                  else col.to_pylist(), dtype=object)
        elif pa.types.is_dictionary(col.type):
            decoded = col.dictionary_decode().cast(pa.large_string())
            out[name] = pd.Series(pd.arrays.ArrowStringArray(decoded, dtype=_STR), copy=False)
        elif pa.types.is_timestamp(col.type):
            out[name] = pd.Series(col.to_pandas(), copy=False).astype("datetime64[ns, UTC]")
        else:
            out[name] = pd.Series(col.to_numpy(zero_copy_only=False, writable=True), copy=False)
    return pd.DataFrame(out, copy=False)[list(table.column_names)]

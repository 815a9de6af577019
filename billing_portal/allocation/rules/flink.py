"""Flink (FLINK_NUM_CFUS / FLINK_NUM_CFU on a compute pool `lfcp-…`): the pool's bill follows its CFU consumption,
so it is split over the pool's **statements by their CFUs**, hour by hour
(`io.confluent.flink/statement_utilization/current_cfus`, captured in flink_statement_usage_hourly), each
statement's principal (`spec.principal` of the statement, kept as history: a deleted statement keeps its owner)
paying: method `usage_share`, reason `statement_cfu_share`, confidence high.

- A statement whose principal was never observed (created and deleted between two observations, or in a region
  whose Flink key is missing): its CFUs' share goes to the pool's owner tier of the fallback ladder with reason
  `statement_owner_unknown`, in the hours it ran.
- A pool without statement metrics that day: the pool's owner as known pays — the mapping file, then the pool's name
  (`…-owner-<x>`): method `resource_owner`, reason `owner_from_<source>`, confidence medium, evenly over the day;
  unknown owner → the environment's owner (low), else UNALLOCATED (reason `no_identity_on_object`; or
  `usage_expired_before_capture` when the pool's statement usage expired from the Metrics API before it was
  captured).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from billing_portal.allocation.rules.fallback import ladder
from billing_portal.allocation.vocabulary import (
    USAGE_EXPIRED,
    Confidence,
    Method,
    Reason,
    confidence_code,
    method_code,
    reason_code,
)
from billing_portal.allocation.weights import WEIGHT_COLUMNS, concat_weights, weights_frame

if TYPE_CHECKING:
    from billing_portal.allocation.context import Context

_PAIR = ["line", "principal", "subject", "method", "reason", "confidence"]


def _statement_rows(lines: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """(line idx, hour, principal code, cfus) for every statement row of each line's pool."""
    fl = ctx.flink
    if fl is None or not len(fl):
        return pd.DataFrame({"idx": [], "hour": [], "principal": [], "cfus": []})
    per_line = pd.DataFrame({"idx": lines["idx"].to_numpy(), "pool": lines["resource_id"].to_numpy(dtype=object)})
    return per_line.merge(fl, on="pool", how="inner")[["idx", "hour", "principal", "cfus"]]


def _spread_unknown(unknown: pd.DataFrame, lines: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """The CFUs of statements without a known principal, to the pool's owner tier (ladder), in their hours."""
    ladder_w = ladder(lines[lines["idx"].isin(unknown["idx"])], ctx, Reason.STATEMENT_OWNER_UNKNOWN)
    if not len(ladder_w):
        return ladder_w
    pairs = ladder_w.groupby(_PAIR, as_index=False, sort=True)["weight"].sum()
    pairs["frac"] = pairs["weight"] / pairs.groupby("line")["weight"].transform("sum")
    hourly = unknown.groupby(["idx", "hour"], as_index=False, sort=True)["cfus"].sum().rename(columns={"idx": "line"})
    rows = hourly.merge(pairs.drop(columns="weight"), on="line")
    return weights_frame(rows["line"], rows["hour"], rows["principal"], rows["subject"], rows["method"], rows["reason"],
                         rows["confidence"], rows["frac"] * rows["cfus"])


def allocate(lines: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    rows = _statement_rows(lines, ctx)
    measured = lines["idx"].isin(rows["idx"]).to_numpy()
    parts = []
    known = rows[rows["principal"] >= 0]
    if len(known):
        parts.append(weights_frame(known["idx"], known["hour"], known["principal"], known["principal"],
                                   method_code(Method.USAGE_SHARE), reason_code(Reason.STATEMENT_CFU_SHARE),
                                   confidence_code(Confidence.HIGH), known["cfus"]))
    unknown = rows[rows["principal"] < 0]
    if len(unknown):
        parts.append(_spread_unknown(unknown, lines, ctx))
    if (~measured).any():
        rest = lines[~measured]
        expired = np.array([(ctx.flink_source or {}).get(str(r)) == USAGE_EXPIRED for r in rest["resource_id"]],
                           dtype=bool)
        why = np.where(expired, reason_code(Reason.USAGE_EXPIRED_BEFORE_CAPTURE),
                       reason_code(Reason.NO_IDENTITY_ON_OBJECT)).astype(np.int16)
        parts.append(ladder(rest, ctx, why))
    out = concat_weights(parts)
    return out[list(WEIGHT_COLUMNS)] if len(out) else out

"""Schema Registry / Stream Governance (GOVERNANCE_BASE, SCHEMA_REGISTRY, NUM_RULES): evenly over the principals
holding API keys for the Schema Registry (for a line billed on an environment: for any Schema Registry of that
environment) — method `key_holders_even`, reason `schema_registry_key_holders`, confidence medium, evenly over the
day. Nobody holds a key → fallback ladder with reason `no_key_holders`, where the environment's owner counts as
medium (it is the documented owner of governance costs)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from billing_portal.allocation.rules.fallback import ladder
from billing_portal.allocation.vocabulary import Confidence, Method, Reason, confidence_code, method_code, reason_code
from billing_portal.allocation.weights import concat_weights, over_hours

if TYPE_CHECKING:
    from billing_portal.allocation.context import Context


def _registries_of_lines(lines: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """idx, sr_id: the Schema Registry a line is about (itself, or those of its environment)."""
    direct = lines.loc[lines["resource_type"] == "schema_registry", ["idx", "resource_id"]]
    direct = direct.rename(columns={"resource_id": "sr_id"}).astype({"sr_id": object})
    envs = lines.loc[lines["resource_type"] == "environment", ["idx", "resource_id"]].astype({"resource_id": object})
    by_env = envs.merge(ctx.sr_by_env, left_on="resource_id", right_on="env_id")[["idx", "sr_id"]]
    return pd.concat([direct, by_env], ignore_index=True).astype({"sr_id": object})


def allocate(lines: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    pairs = _registries_of_lines(lines, ctx).merge(ctx.key_holders, left_on="sr_id", right_on="resource_id")
    pairs = pairs[pairs["p"] >= 0].drop_duplicates(["idx", "p"]).sort_values(["idx", "p"], kind="stable")
    has = lines["idx"].isin(pairs["idx"]).to_numpy()
    parts = []
    if len(pairs):
        p = pairs["p"].to_numpy()
        parts.append(over_hours(ctx, pairs["idx"].to_numpy(), p, p, method_code(Method.KEY_HOLDERS_EVEN),
                                reason_code(Reason.SCHEMA_REGISTRY_KEY_HOLDERS), confidence_code(Confidence.MEDIUM),
                                1.0))
    if (~has).any():
        parts.append(ladder(lines[~has], ctx, Reason.NO_KEY_HOLDERS, env_confidence=Confidence.MEDIUM))
    return concat_weights(parts)

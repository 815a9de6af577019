"""Schema Registry / Stream Governance (GOVERNANCE_BASE, SCHEMA_REGISTRY, NUM_RULES): evenly over the principals
holding API keys for the Schema Registry (for a line billed on an environment: for any Schema Registry of that
environment) — method `key_holders_even`, reason `schema_registry_key_holders`, confidence medium, evenly over the
day. Nobody holds a key → fallback ladder with reason `no_key_holders`, where the environment's owner counts as
medium (it is the documented owner of governance costs).

`split: schema_owners` (per line type, `governance_splits` of the allocation rules file): the line is first split
over the registry's schemas by count; each owned schema's share goes to its owner (the synthetic principal
`team:<team>`, … carrying the schema's owner attributes; method `resource_owner`, reason `schema_owner_share`,
confidence medium), the share of unowned schemas to the key holders as above. A registry without schemas that
day: the whole line as above."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from billing_portal.allocation.rules.fallback import ladder
from billing_portal.allocation.vocabulary import Confidence, Method, Reason, confidence_code, method_code, reason_code
from billing_portal.allocation.weights import WEIGHT_COLUMNS, concat_weights, over_hours

if TYPE_CHECKING:
    from billing_portal.allocation.context import Context


def _registries_of_lines(lines: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """idx, sr_id: the Schema Registry a line is about (itself, or those of its environment)."""
    direct = lines.loc[lines["resource_type"] == "schema_registry", ["idx", "resource_id"]]
    direct = direct.rename(columns={"resource_id": "sr_id"}).astype({"sr_id": object})
    envs = lines.loc[lines["resource_type"] == "environment", ["idx", "resource_id"]].astype({"resource_id": object})
    by_env = envs.merge(ctx.sr_by_env, left_on="resource_id", right_on="env_id")[["idx", "sr_id"]]
    return pd.concat([direct, by_env], ignore_index=True).astype({"sr_id": object})


def _key_holders(lines: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    pairs = _registries_of_lines(lines, ctx).merge(ctx.key_holders, left_on="sr_id", right_on="resource_id")
    pairs = pairs[pairs["principal"] >= 0].drop_duplicates(["idx", "principal"]).sort_values(["idx", "principal"], kind="stable")
    has = lines["idx"].isin(pairs["idx"]).to_numpy()
    parts = []
    if len(pairs):
        p = pairs["principal"].to_numpy()
        parts.append(over_hours(ctx, pairs["idx"].to_numpy(), p, p, method_code(Method.KEY_HOLDERS_EVEN),
                                reason_code(Reason.SCHEMA_REGISTRY_KEY_HOLDERS), confidence_code(Confidence.MEDIUM),
                                1.0))
    if (~has).any():
        parts.append(ladder(lines[~has], ctx, Reason.NO_KEY_HOLDERS, env_confidence=Confidence.MEDIUM))
    return concat_weights(parts)


def _schema_owner_split(lines: pd.DataFrame, ctx: Context) -> tuple[pd.DataFrame, pd.Series]:
    """Owner weights (each line's owned schemas by count, as fractions of the line) and, per line idx, the fraction
    left to the key holders (1 for a line without schemas)."""
    rest = pd.Series(1.0, index=lines["idx"].to_numpy())
    schemas = ctx.schemas
    if schemas is None or not len(schemas):
        return concat_weights([]), rest
    regs = _registries_of_lines(lines, ctx).drop_duplicates()
    per = regs.merge(schemas, on="sr_id")
    if not len(per):
        return concat_weights([]), rest
    total = per.groupby("idx").size()
    owned = per[per["principal"] >= 0].groupby(["idx", "principal"], as_index=False, sort=True).size()
    rest.loc[total.index] = 1.0 - per[per["principal"] >= 0].groupby("idx").size().reindex(total.index, fill_value=0) / total
    if not len(owned):
        return concat_weights([]), rest
    frac = owned["size"].to_numpy() / total.loc[owned["idx"]].to_numpy()
    p = owned["principal"].to_numpy()
    w = over_hours(ctx, owned["idx"].to_numpy(), p, p, method_code(Method.RESOURCE_OWNER),
                   reason_code(Reason.SCHEMA_OWNER_SHARE), confidence_code(Confidence.MEDIUM), frac)
    return w, rest


def _scaled(w: pd.DataFrame, fraction: pd.Series) -> pd.DataFrame:
    """`w` normalized to sum to `fraction[line]` on each line (lines with fraction 0 dropped)."""
    if not len(w):
        return w
    line = w["line"].to_numpy()
    sums = w.groupby("line")["weight"].transform("sum").to_numpy()
    w = w.copy()
    w["weight"] = w["weight"].to_numpy() / sums * fraction.reindex(line).to_numpy()
    return w[w["weight"] > 0][list(WEIGHT_COLUMNS)]


def allocate(lines: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    by_schema = [ctx.config.governance_split(t).split == "schema_owners" for t in lines["line_type"]]
    by_schema = pd.Series(by_schema, index=lines.index, dtype=bool)
    if not by_schema.any():
        return _key_holders(lines, ctx)
    owners, rest = _schema_owner_split(lines[by_schema], ctx)
    holders = _key_holders(lines, ctx)
    fraction = pd.Series(1.0, index=lines["idx"].to_numpy())
    fraction.loc[rest.index] = rest.to_numpy()
    return concat_weights([_scaled(owners, pd.Series(1.0 - rest.to_numpy(), index=rest.index)),
                           _scaled(holders, fraction)])

"""Confidence and coverage KPIs per day (table cost_confidence_daily): for the whole org (scope `total`, value
`all`), per team and per business unit, the cost at each confidence level and how it was allocated.

Coverage buckets by allocation method (vocabulary.COVERAGE_OF_METHOD): by_usage = usage_share, hybrid;
by_ownership = object_owner, resource_owner, env_owner, key_holders_even; by_fallback = even_active_principals,
distribution_rule; unallocated = principal UNALLOCATED. high + medium + low = by_usage + by_ownership +
by_fallback + unallocated = total, exactly. `usage_expired` (not part of those sums) is the cost whose usage-driven
lines fell back because their usage expired from the Metrics API before it was captured (reason
`usage_expired_before_capture`), whatever tier then took them.

Amounts: computed in int64 units, returned as Decimal USD (8 places) in the `*_usd` columns of the table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from billing_portal.allocation.vocabulary import COVERAGE_OF_METHOD, Confidence, Coverage, Reason
from billing_portal.model.derived import COST_CONFIDENCE_DAILY
from billing_portal.money import from_units
from billing_portal.ownership.names import UNALLOCATED

CONFIDENCE_COLUMNS = COST_CONFIDENCE_DAILY.names()  # billing_portal/model/derived.py
_BUCKETS = tuple(n.removesuffix("_usd") for n in COST_CONFIDENCE_DAILY.names("amount"))


def _units(facts: pd.DataFrame) -> np.ndarray:
    if "amount_units" in facts.columns:
        return facts["amount_units"].to_numpy(np.int64)
    from billing_portal.money import to_decimal, to_units

    return np.array([to_units(to_decimal(a)) for a in facts["amount_usd"].tolist()], dtype=np.int64)


def compute_confidence(facts: pd.DataFrame) -> pd.DataFrame:
    """`facts`: rows with `amount_units` (or `amount_usd`), `confidence`, `allocation_method`, `team`,
    `business_unit`, optionally `principal_id`, `allocation_reason` and `usage_date` (pre-aggregated groups are
    fine: only sums are
    taken). Returns the cost_confidence_daily columns, amounts as Decimal."""
    n = len(facts)
    units = _units(facts)
    conf = facts["confidence"].astype(object).to_numpy()
    method = facts["allocation_method"].astype(object).to_numpy()
    coverage = np.array([str(COVERAGE_OF_METHOD.get(m, Coverage.FALLBACK)) for m in pd.unique(method)], dtype=object)
    cov = pd.Series(coverage, index=pd.unique(method)).reindex(method).to_numpy() if n else np.zeros(0, dtype=object)
    if "principal_id" in facts.columns:
        cov = np.where(facts["principal_id"].astype(object).to_numpy() == UNALLOCATED, str(Coverage.UNALLOCATED), cov)
    zero = np.zeros(n, dtype=np.int64)
    frame = pd.DataFrame({
        "usage_date": facts["usage_date"].to_numpy(dtype=object) if "usage_date" in facts.columns
        else np.full(n, None, dtype=object),
        "team": facts["team"].astype(object).fillna("unknown").to_numpy() if "team" in facts.columns
        else np.full(n, "unknown", dtype=object),
        "business_unit": facts["business_unit"].astype(object).fillna("unknown").to_numpy()
        if "business_unit" in facts.columns else np.full(n, "unknown", dtype=object),
        "total": units,
        "high": np.where(conf == Confidence.HIGH, units, zero),
        "medium": np.where(conf == Confidence.MEDIUM, units, zero),
        "low": np.where(conf == Confidence.LOW, units, zero),
        "by_usage": np.where(cov == Coverage.USAGE, units, zero),
        "by_ownership": np.where(cov == Coverage.OWNERSHIP, units, zero),
        "by_fallback": np.where(cov == Coverage.FALLBACK, units, zero),
        "unallocated": np.where(cov == Coverage.UNALLOCATED, units, zero),
        "usage_expired": np.where(facts["allocation_reason"].astype(object).to_numpy()
                                  == Reason.USAGE_EXPIRED_BEFORE_CAPTURE, units, zero)
        if "allocation_reason" in facts.columns else zero,
    })
    frame["all"] = "all"
    scopes = []
    for scope_type, col in (("total", "all"), ("team", "team"), ("business_unit", "business_unit")):
        g = frame.groupby(["usage_date", col], dropna=False, sort=True)[list(_BUCKETS)].sum().reset_index()
        g = g.rename(columns={col: "scope_value"})
        g.insert(1, "scope_type", scope_type)
        scopes.append(g)
    out = pd.concat(scopes, ignore_index=True) if scopes else pd.DataFrame(columns=CONFIDENCE_COLUMNS)
    for b in _BUCKETS:
        out[f"{b}_usd"] = [from_units(int(u)) for u in out[b].tolist()]
    out["usage_date"] = out["usage_date"].astype(object).where(out["usage_date"].notna(), None)
    return out[list(CONFIDENCE_COLUMNS)].reset_index(drop=True)

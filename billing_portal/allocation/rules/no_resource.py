"""Lines without a chargeable resource — any line whose resource is missing (unknown products included), and the
org-level line types SUPPORT, AUDIT_LOG_READ and PROMO_CREDIT even when they name one (the audit-log cluster is
Confluent's, not the org's): principal UNALLOCATED (method `unallocated`, reason `no_resource_on_line`, low), unless
a distribution
rule (AllocationConfig.no_resource_rules, per line type, or default_no_resource_rule) spreads them:

- `allocated_cost`          proportionally to each principal's cost allocated so far that day, hour by hour and with
                            the same owner attributes (only lines with positive amounts count; UNALLOCATED does not
                            receive a share). A credit thus lands where the spend is. Reason
                            `spread_by_allocated_cost`, low.
- `even_active_principals`  evenly over every principal active in the org that day. Reason
                            `spread_even_active_principals`, low.
- `principal` / `team`      all to one principal, or to a synthetic principal `team:<name>` carrying that team (and
                            optional business unit, business product, cost center). Reason `assigned_by_rule`, medium.
Rows of a distribution rule have method `distribution_rule`. A spread with nothing to spread over (no allocated
cost, no active principal) falls back to UNALLOCATED. Runs after every other rule (it needs their result).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from billing_portal.allocation.hours import HOURS
from billing_portal.allocation.joins import ranges
from billing_portal.allocation.vocabulary import Confidence, Method, Reason, confidence_code, method_code, reason_code
from billing_portal.allocation.weights import concat_weights, over_hours, weights_frame

if TYPE_CHECKING:
    from billing_portal.allocation.context import Context

DIST = method_code(Method.DISTRIBUTION_RULE)
LOW, MEDIUM = confidence_code(Confidence.LOW), confidence_code(Confidence.MEDIUM)


def allocation_basis(weights: pd.DataFrame, units: np.ndarray, ctx: Context) -> pd.DataFrame:
    """hour, principal, subject, units: what the other rules allocated from positive lines, UNALLOCATED excluded."""
    positive = ctx.lines["amount_units"].to_numpy()[weights["line"].to_numpy()] > 0
    keep = positive & (weights["principal"].to_numpy() != ctx.unallocated) & (units > 0)
    frame = pd.DataFrame({"hour": weights["hour"].to_numpy()[keep], "principal": weights["principal"].to_numpy()[keep],
                          "subject": weights["subject"].to_numpy()[keep], "units": units[keep]})
    return frame.groupby(["hour", "principal", "subject"], as_index=False, sort=True)["units"].sum()


def _unallocated(ctx: Context, idx: np.ndarray) -> pd.DataFrame:
    return over_hours(ctx, idx, ctx.unallocated, ctx.unallocated, method_code(Method.UNALLOCATED),
                      reason_code(Reason.NO_RESOURCE_ON_LINE), LOW, 1.0)


def _spread_over(idx: np.ndarray, hour: np.ndarray, principal: np.ndarray, subject: np.ndarray,
                 weight: np.ndarray, reason: Reason) -> pd.DataFrame:
    """Every line × every (hour, principal, subject) row of a basis."""
    pos, j = ranges(np.zeros(len(idx), dtype=np.int64), np.full(len(idx), len(hour)))
    return weights_frame(idx[pos], hour[j], principal[j], subject[j], DIST, reason_code(reason), LOW, weight[j])


def allocate(lines: pd.DataFrame, ctx: Context, basis: Callable[[], pd.DataFrame] | pd.DataFrame | None = None
             ) -> pd.DataFrame:
    """Weights for lines without a resource. `basis`: the allocation basis (allocation_basis), or a callable that
    computes it (only called when some line's rule spreads by allocated cost)."""
    config = ctx.config
    rules = [config.no_resource_rule(lt) for lt in lines["line_type"].tolist()]
    spread = np.array([r.spread for r in rules], dtype=object)
    idx = lines["idx"].to_numpy()
    parts = []

    to_unallocated = spread == "unallocated"
    sel = spread == "allocated_cost"
    if sel.any():
        basis = basis() if callable(basis) else basis
        if basis is not None and len(basis):
            parts.append(_spread_over(idx[sel], basis["hour"].to_numpy(), basis["principal"].to_numpy(),
                                      basis["subject"].to_numpy(), basis["units"].to_numpy(np.float64),
                                      Reason.SPREAD_BY_ALLOCATED_COST))
        else:
            to_unallocated |= sel
    sel = spread == "even_active_principals"
    if sel.any():
        p = ctx.org_active
        if len(p):
            n = len(p)
            parts.append(_spread_over(idx[sel], np.repeat(np.arange(HOURS), n), np.tile(p, HOURS),
                                      np.tile(p, HOURS), np.ones(n * HOURS), Reason.SPREAD_EVEN_ACTIVE_PRINCIPALS))
        else:
            to_unallocated |= sel
    sel = np.isin(spread, ["principal", "team"])
    if sel.any():
        target = ctx.ids.codes([r.principal_id if r.spread == "principal" else r.synthetic_principal
                                for r, s in zip(rules, sel, strict=True) if s])
        parts.append(over_hours(ctx, idx[sel], target, target, DIST, reason_code(Reason.ASSIGNED_BY_RULE), MEDIUM,
                                1.0))
    if to_unallocated.any():
        parts.append(_unallocated(ctx, idx[to_unallocated]))
    return concat_weights(parts)

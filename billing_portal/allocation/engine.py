"""`allocate_day`: the whole day's bill lines → hourly cost facts, exactly.

1. build the context (context.py): lines normalised and routed (registry.py), ids and attributes, usage indexed;
2. phase one: each rule turns its lines into weight rows (rules/*), all lines at once per rule;
3. largest-remainder rounding of all rows at once (rounding.py): every line sums exactly to its amount;
4. phase two: lines without a resource, whose distribution rules may need the phase-one result (rules/no_resource.py);
5. rows rounded to zero are dropped (a line always keeps at least one row; a zero-amount line keeps exactly one, the
   first its rule produced), then the facts frame is built (facts.py) and summarised in `stats`.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd

from billing_portal.allocation.config import AllocationConfig
from billing_portal.allocation.context import Context, build_context
from billing_portal.allocation.facts import build_facts
from billing_portal.allocation.inputs import AllocationResult, DayInputs
from billing_portal.allocation.rounding import split_by_pairs
from billing_portal.allocation.rules import PHASE_ONE, no_resource
from billing_portal.allocation.vocabulary import (
    CONFIDENCES,
    COVERAGE_OF_METHOD,
    METHODS,
    Coverage,
)
from billing_portal.allocation.weights import WEIGHT_COLUMNS, concat_weights


def _phase_one(ctx: Context) -> pd.DataFrame:
    lines = ctx.lines
    parts = []
    for name, rule in PHASE_ONE.items():
        mask = (lines["rule"] == name).to_numpy()
        if mask.any():
            parts.append(rule(lines[mask], ctx))
    return concat_weights(parts)


def _round(ctx: Context, w: pd.DataFrame, totals: np.ndarray) -> np.ndarray:
    """Exact units per weight row: each line over its (principal, subject, method) pairs, then each pair over its
    hours (rounding.split_by_pairs)."""
    n_ids = len(ctx.ids.index)
    line = w["line"].to_numpy().astype(np.int64)
    pair_key = ((line * n_ids + w["principal"].to_numpy()) * n_ids + w["subject"].to_numpy()) * len(METHODS) \
        + w["method"].to_numpy()  # int64: lines × ids² × methods stays far below 2^63
    return split_by_pairs(line, pair_key, w["weight"].to_numpy(), totals)


def _keep_rows(line: np.ndarray, units: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Rows to keep: non-zero rows, plus the first row of every line that has no non-zero row (zero amount)."""
    keep = units != 0
    zero_lines = np.bincount(line[keep], minlength=len(totals)) == 0
    if zero_lines.any():
        cand = np.flatnonzero(zero_lines[line])
        _, first = np.unique(line[cand], return_index=True)
        keep[cand[first]] = True
    return keep


def _stats(ctx: Context, facts_line: np.ndarray, method: np.ndarray, confidence: np.ndarray,
           units: np.ndarray) -> dict:
    lines = ctx.lines
    totals = lines["amount_units"].to_numpy()
    by_method = np.bincount(method, weights=None, minlength=len(METHODS))
    by_method_units = {str(m): int(units[method == i].sum()) for i, m in enumerate(METHODS) if by_method[i]}
    by_conf_units = {str(c): int(units[confidence == i].sum()) for i, c in enumerate(CONFIDENCES)}
    coverage = dict.fromkeys((str(c) for c in Coverage), 0)
    for m, u in by_method_units.items():
        coverage[str(COVERAGE_OF_METHOD[m])] += u
    lines_by_method = {}
    for i, m in enumerate(METHODS):
        n = len(np.unique(facts_line[method == i]))
        if n:
            lines_by_method[str(m)] = n
    unallocated = by_method_units.get("unallocated", 0)
    # charges (positive amounts) and credits apart, as the warehouse's figures take them (migration 0014); the
    # unallocated share itself is a warehouse figure (unallocated_share() over the stored rollups), not a stat here
    is_unalloc = method == METHODS.index("unallocated")
    positive = np.maximum(units, 0)
    return {
        "rows": int(len(units)),
        "lines": int(len(lines)),
        "zero_amount_lines": int((totals == 0).sum()),
        "amount_units": int(totals.sum()),
        "allocated_units": int(units.sum()),
        "by_method_units": by_method_units,
        "by_confidence_units": by_conf_units,
        "by_coverage_units": coverage,
        "lines_by_rule": {k: int(v) for k, v in lines["rule"].value_counts().sort_index().items()},
        "lines_by_method": lines_by_method,
        "unallocated_units": unallocated,
        "charges_units": int(positive.sum()),
        "credits_units": int((units - positive).sum()),
        "unallocated_charges_units": int(positive[is_unalloc].sum()),
        "usage_rows_ignored": int(ctx.usage.ignored_rows),
    }


def allocate_day(inputs: DayInputs, config: AllocationConfig | None = None) -> AllocationResult:
    """Allocate one day of one org. Pure: reads only `inputs` and `config`. Every bill line's rows sum exactly to
    its `amount_units`; see docs/ALLOCATION.md for the rules."""
    config = config if config is not None else AllocationConfig()
    ctx = build_context(inputs, config)
    totals = ctx.lines["amount_units"].to_numpy(np.int64)

    w1 = _phase_one(ctx)
    u1 = _round(ctx, w1, totals)
    later = (ctx.lines["rule"] == "no_resource").to_numpy()
    w2 = no_resource.allocate(ctx.lines[later], ctx, partial(no_resource.allocation_basis, w1, u1, ctx)) \
        if later.any() else concat_weights([])
    u2 = _round(ctx, w2, totals)

    cols = {k: np.concatenate([w1[k].to_numpy(), w2[k].to_numpy()]) for k in WEIGHT_COLUMNS}
    units = np.concatenate([u1, u2])
    del w1, w2, u1, u2
    covered = np.bincount(cols["line"], minlength=len(totals)) > 0
    if not covered.all():  # a rule lost a line: a bug, never silently drop money
        missing = ctx.lines.loc[~covered, ["line_no", "line_type", "rule"]].to_dict("records")
        raise RuntimeError(f"allocation produced no rows for bill lines {missing}")
    rows = np.flatnonzero(_keep_rows(cols["line"], units, totals))
    rows = rows[np.argsort(cols["hour"][rows], kind="stable")]  # facts ordered by hour, then as produced
    cols = {k: cols[k][rows] for k in ("line", "hour", "principal", "subject", "method", "reason", "confidence")}
    units = units[rows]
    facts = build_facts(ctx, cols["line"], cols["hour"], cols["principal"], cols["subject"], cols["method"],
                        cols["reason"], cols["confidence"], units)
    return AllocationResult(table=facts, stats=_stats(ctx, cols["line"], cols["method"], cols["confidence"], units))

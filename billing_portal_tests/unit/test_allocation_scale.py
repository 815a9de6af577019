"""Scale: a synthetic large day (~3k bill lines, ~180k usage rows) yields over a million fact rows, and every line
still sums exactly. How fast is measured by `billing-portal bench` (docs/PERFORMANCE.md), not here."""

import numpy as np

from billing_portal.allocation import AllocationConfig, DistributionRule, allocate_day
from billing_portal.allocation.benchmark import synthetic_day


def test_a_million_fact_rows_exact():
    inputs = synthetic_day(principals_per_cluster=40)
    config = AllocationConfig(no_resource_rules={"SUPPORT": DistributionRule(spread="allocated_cost")})
    facts = allocate_day(inputs, config).facts
    assert len(facts) >= 1_000_000
    lines = inputs.lines
    sums = np.bincount(np.searchsorted(lines["line_no"].to_numpy(), facts["line_no"].to_numpy()),
                       weights=None, minlength=len(lines))
    assert (sums > 0).all()
    per_line = facts.groupby("line_no")["amount_units"].sum()
    assert (per_line.reindex(lines["line_no"]).to_numpy() == lines["amount_units"].to_numpy()).all()

"""SQL generation: whitelisted identifiers, bound values, and the source-relation hook for rollups."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from billing_portal.sidecar import query
from billing_portal.sidecar.query import (
    FACTS_SOURCE,
    Source,
    aggregate_statement,
    pick_source,
    pick_source_for_range,
    range_and_filters,
)

UTC = dt.UTC
F, T = dt.datetime(2024, 1, 1, tzinfo=UTC), dt.datetime(2024, 2, 1, tzinfo=UTC)


def render(stmt) -> str:
    return stmt.as_string(None)


def test_values_are_bound_and_identifiers_quoted():
    w = range_and_filters(FACTS_SOURCE, F, T, {"team": ["x' OR 1=1 --"], "product": ["KAFKA"]})
    text = render(aggregate_statement(FACTS_SOURCE, ["team", "business_unit"], "day", w))
    assert "OR 1=1" not in text and "%(f_team)s" in text and "%(f_product)s" in text
    assert '"team"' in text and "date_trunc('day', \"hour\")" in text and "GROUP BY 1, 2, 3" in text
    assert w.params["f_team"] == ["x' OR 1=1 --"] and w.params["from_ts"] == F


@pytest.mark.parametrize("bad", ["amount_usd", "team; DROP TABLE x", "hour", ""])
def test_unknown_dimensions_are_refused(bad):
    with pytest.raises(ValueError):
        aggregate_statement(FACTS_SOURCE, [bad], "total", range_and_filters(FACTS_SOURCE, F, T, {}))
    with pytest.raises(ValueError):
        range_and_filters(FACTS_SOURCE, F, T, {bad: ["x"]})


def test_a_registered_rollup_is_picked_when_it_can_answer(monkeypatch):
    rollup = Source("cost_rollup_daily_team", grain="day", dimensions=frozenset({"team", "business_unit", "product"}),
                    time_column="day_start")
    monkeypatch.setattr(query, "PRINCIPAL_VIEW", dataclasses.replace(query.PRINCIPAL_VIEW, rollups=(rollup,)))
    assert pick_source({"team"}, "month") is rollup
    assert pick_source({"team"}, "hour") == FACTS_SOURCE                    # grain too coarse
    assert pick_source({"principal_id"}, "day") == FACTS_SOURCE             # dimension missing
    assert pick_source({"team"}, "day", {"cluster_id"}) == FACTS_SOURCE     # filter missing
    assert pick_source_for_range({"team"}, "day", set(), F, T) is rollup
    assert pick_source_for_range({"team"}, "day", set(), F.replace(hour=5), T) == FACTS_SOURCE  # unaligned range
    text = render(aggregate_statement(rollup, ["team"], "month", range_and_filters(rollup, F, T, {})))
    assert '"cost_rollup_daily_team"' in text and "date_trunc('month', \"day_start\")" in text

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


def test_the_small_day_rollups_of_both_views_carry_their_month_rollups():
    months = {s.relation: s.months.relation for v in query.VIEWS.values() for s in v.rollups if s.months}
    assert months == {"cost_daily_business": "cost_monthly_business", "cost_daily_principal": "cost_monthly_principal",
                      "topic_cost_daily_business": "topic_cost_monthly_business"}
    for v in query.VIEWS.values():
        for s in v.rollups:
            if s.months:
                assert (s.months.dimensions, s.months.grain, s.months.time_column) == (s.dimensions, "month",
                                                                                      "usage_month")
    assert query.TOPIC_VIEW.pick_source({"team"}, "total").relation == "topic_cost_daily_business"
    assert query.TOPIC_VIEW.pick_source({"topic"}, "total").relation == "topic_cost_daily"


def d(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(tzinfo=UTC)


@pytest.mark.parametrize("lo,hi,months,days,minus", [
    ("2024-01-01", "2025-01-01", 12, [], []),                                       # a calendar year: 12 rows a group
    ("2023-12-04", "2024-12-04", 12, [("2024-12-01", "2024-12-04")],                 # the bench's 365 days
     [("2023-12-01", "2023-12-04")]),
    ("2024-02-01", "2024-02-15", 0, [], []),                                        # half a month: the days alone
    ("2024-02-01", "2024-02-16", 1, [], [("2024-02-16", "2024-03-01")]),            # 15 of 29 days: month − 14
    ("2024-01-31", "2024-03-02", 1, [("2024-01-31", "2024-02-01"), ("2024-03-01", "2024-03-02")], []),
])
def test_month_plans_read_whole_months_and_the_smaller_side_of_the_partial_ones(lo, hi, months, days, minus):
    src = query.PRINCIPAL_VIEW.pick_source({"principal_id"}, "total")
    plan = query.month_plan(src, "total", d(lo), d(hi))
    if not months:
        assert plan is None
        return
    assert len(plan.months) == months
    assert [(a.isoformat(), b.isoformat()) for a, b in plan.days] == days
    assert [(a.isoformat(), b.isoformat()) for a, b in plan.minus] == minus


def test_the_month_statement_binds_every_value_and_keeps_the_day_rollups_grouping():
    src = query.PRINCIPAL_VIEW.pick_source({"team"}, "month", {"product"})
    stmt, params = query.summary_statement(src, ["team"], "month", {"product": ["x' OR 1=1 --"]}, d("2024-01-10"),
                                           d("2024-04-03"))
    text = render(stmt)
    assert "OR 1=1" not in text and params["f_product"] == ["x' OR 1=1 --"]
    assert '"cost_monthly_business"' in text and '"cost_daily_business"' in text and "UNION ALL" in text
    assert "-amount_usd" in text and "HAVING sum(n) > 0" in text and "ORDER BY 1, 2" in text
    assert params["months"] == [dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1)]
    assert (params["d0_lo"], params["d0_hi"]) == (dt.date(2024, 4, 1), dt.date(2024, 4, 3))
    assert (params["x0_lo"], params["x0_hi"]) == (dt.date(2024, 1, 1), dt.date(2024, 1, 10))
    # a range without a whole month, or a day granularity: the day rollup's own statement
    for granularity, lo, hi in (("day", "2024-01-01", "2024-04-01"), ("month", "2024-01-10", "2024-01-20")):
        stmt, params = query.summary_statement(src, ["team"], granularity, {}, d(lo), d(hi))
        assert "cost_monthly_business" not in render(stmt) and params["from_ts"] == d(lo)
    with pytest.raises(ValueError):
        query.summary_statement(src, ["principal_id"], "month", {}, d("2024-01-01"), d("2024-04-01"))

"""The two views of the facts are served from one descriptor each (query.FactView): their query schemas take the
same parameters but for their dimensions, refuse the same bad input with the same errors, fold and choose their
sources alike; the FOCUS export refuses a filter its chosen view lacks."""

from __future__ import annotations

import datetime as dt

import pytest
from marshmallow import ValidationError

from billing_portal.model.tables import HOURLY_COST_FACTS, HOURLY_TOPIC_FACTS
from billing_portal.sidecar.query import PRINCIPAL_VIEW, TOPIC_VIEW, VIEWS
from billing_portal.sidecar.schemas import VIEW_QUERIES, FocusQuery

RANGE = {"from_ts": "2024-01-10T00:00:00Z", "to_ts": "2024-01-13T00:00:00Z"}
ALL_DIMENSIONS = {d for v in VIEWS.values() for d in v.dimensions}


def errors(schema, params: dict) -> dict:
    with pytest.raises(ValidationError) as exc:
        schema().load(params)
    return exc.value.messages


def test_each_view_is_its_fact_table_of_the_model():
    assert (PRINCIPAL_VIEW.table, TOPIC_VIEW.table) == (HOURLY_COST_FACTS, HOURLY_TOPIC_FACTS)
    assert PRINCIPAL_VIEW.dimensions == HOURLY_COST_FACTS.dimensions
    assert TOPIC_VIEW.fields == HOURLY_TOPIC_FACTS.api_fields


@pytest.mark.parametrize("name", list(VIEWS))
def test_a_view_takes_one_filter_per_dimension_then_the_range_then_its_own(name):
    view, queries = VIEWS[name], VIEW_QUERIES[name]
    assert list(queries.facts._declared_fields) == [*view.dimensions, "from_ts", "to_ts", "limit", "cursor", "format"]
    assert list(queries.summary._declared_fields) == [*view.dimensions, "from_ts", "to_ts", "group_by", "granularity",
                                                      "format"]
    loaded = queries.facts().load({**RANGE, **{d: ["x", "y"] for d in view.dimensions}})
    assert all(loaded[d] == ["x", "y"] for d in view.dimensions)
    for other in sorted(ALL_DIMENSIONS - set(view.dimensions)):
        assert errors(queries.facts, {**RANGE, other: ["x"]}) == {other: ["Unknown field."]}


@pytest.mark.parametrize(("kind", "params"), [
    ("facts", {"from_ts": "2024-01-13T00:00:00Z", "to_ts": "2024-01-10T00:00:00Z"}),
    ("facts", {"from_ts": "2023-01-01T00:00:00Z", "to_ts": "2024-02-10T00:00:00Z"}),
    ("facts", {"from_ts": "2024-01-10T00:00:00Z"}),
    ("facts", {**RANGE, "format": "csv", "limit": 5}),
    ("facts", {**RANGE, "format": "csv", "cursor": "abc"}),
    ("facts", {**RANGE, "limit": 0}),
    ("facts", {**RANGE, "cursor": "not a cursor"}),
    ("facts", {**RANGE, "team": [""]}),
    ("facts", {**RANGE, "owner": ["tab\there"]}),
    ("summary", {"from_ts": "2024-01-01T00:00:00Z", "to_ts": "2024-03-01T00:00:00Z", "granularity": "hour"}),
    ("summary", {**RANGE, "granularity": "week"}),
    ("summary", {**RANGE, "group_by": [f"team{',team' * 20}", *["team"] * 20]}),
])
def test_both_views_refuse_the_same_bad_input_with_the_same_errors(kind, params):
    principal, topic = (errors(getattr(VIEW_QUERIES[name], kind), params) for name in ("principal", "topic"))
    assert principal == topic and principal


def test_group_by_takes_the_views_dimensions_and_the_principal_view_its_aliases():
    for name, view in VIEWS.items():
        summary = VIEW_QUERIES[name].summary
        assert summary().load({**RANGE, "group_by": [",".join(view.dimensions)]})["group_by"]
        refused = str(errors(summary, {**RANGE, "group_by": ["team,nope"]})["group_by"])
        assert "unknown dimension; one of " + ", ".join(view.dimensions) in refused
    assert "group_by" in errors(VIEW_QUERIES["topic"].summary, {**RANGE, "group_by": ["bu"]})
    assert PRINCIPAL_VIEW.group_by(["principal,bu", "team", "principal_id"]) == ["principal_id", "business_unit",
                                                                                  "team"]
    assert TOPIC_VIEW.group_by(["topic,team", "topic"]) == ["topic", "team"]


def test_both_views_fold_the_fixed_vocabularies_alike_and_keep_names_exact():
    sent = {"product": ["kafka", "KAFKA"], "line_type": ["kafka_num_ckus"], "confidence": ["HIGH"],
            "team": ["Payments"], "from_ts": dt.datetime(2024, 1, 1, tzinfo=dt.UTC)}
    expected = {"product": ["KAFKA"], "line_type": ["KAFKA_NUM_CKUS"], "confidence": ["high"], "team": ["Payments"]}
    assert PRINCIPAL_VIEW.filters(sent) == TOPIC_VIEW.filters(sent) == expected
    assert TOPIC_VIEW.filters({"topic": ["Orders", "orders"]}) == {"topic": ["Orders", "orders"]}


def test_a_view_reads_its_own_rollups_on_whole_days_and_its_facts_otherwise():
    lo, hi = dt.datetime(2024, 1, 10, tzinfo=dt.UTC), dt.datetime(2024, 1, 13, tzinfo=dt.UTC)
    assert TOPIC_VIEW.pick_source_for_range({"topic"}, "day", {"team"}, lo, hi).relation == "topic_cost_daily"
    assert TOPIC_VIEW.pick_source_for_range({"topic"}, "hour", set(), lo, hi) == TOPIC_VIEW.facts
    assert TOPIC_VIEW.pick_source_for_range({"topic"}, "total", set(), lo.replace(hour=5), hi) == TOPIC_VIEW.facts
    assert PRINCIPAL_VIEW.pick_source_for_range({"team"}, "day", set(), lo, hi).relation.startswith("cost_daily")
    assert {s.relation for v in VIEWS.values() for s in v.rollups}.isdisjoint({v.facts.relation for v in VIEWS.values()})


def test_the_focus_export_refuses_a_filter_its_view_lacks():
    assert errors(FocusQuery, {**RANGE, "view": "topic", "principal_id": ["sa-1"]}) == {
        "principal_id": ["not a dimension of the topic view (view=topic)"]}
    assert errors(FocusQuery, {**RANGE, "topic": ["orders"]}) == {"topic": ["filters the topic view only: add view=topic"]}
    loaded = FocusQuery().load({**RANGE, "view": "topic", "topic": ["orders"], "product": ["kafka"]})
    assert TOPIC_VIEW.filters(loaded) == {"topic": ["orders"], "product": ["KAFKA"]}
    assert set(FocusQuery._declared_fields) == ALL_DIMENSIONS | {"from_ts", "to_ts", "view"}

"""The telemetry query engine over the model (no HTTP)."""

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from billing_portal.simulator import build_model
from billing_portal.simulator.metrics import QueryError, evaluate, parse_interval, parse_query

DAY = date(2024, 6, 1)
NOW = datetime(2024, 6, 15, 12, 30, tzinfo=UTC)
M = "io.confluent.kafka.server/"


@pytest.fixture(scope="module")
def model():
    return build_model(42, "small")


def eq(cluster_id):
    return {"field": "resource.kafka.id", "op": "EQ", "value": cluster_id}


def body(metric="request_bytes", flt=None, group_by=("metric.principal_id",), granularity="PT1H",
         interval="2024-06-01T00:00:00Z/2024-06-02T00:00:00Z", **extra):
    return {"aggregations": [{"metric": M + metric}], "filter": flt, "group_by": list(group_by),
            "granularity": granularity, "intervals": [interval], "limit": 1000, **extra}


def busy(model):
    return [c for c in model.kafka_clusters if not c.idle]


def expected_by_principal(model, cluster_ids, field="request_bytes"):
    usage = model.usage(DAY)
    values = getattr(usage, field)
    out = {}
    for pair in range(model.usage_profile.n_pairs):
        cid = model.kafka_clusters[model.usage_profile.cluster[pair]].id
        if cid in cluster_ids:
            pid = model.principal_ids[model.usage_profile.principal[pair]]
            out[pid] = out.get(pid, np.zeros(24, dtype=np.int64)) + values[pair]
    # principals without any traffic that day (churn accounts not alive then) have no series
    return {p: v for p, v in out.items() if v.any()}


def as_hourly(group):
    arr = np.zeros(24, dtype=np.int64)
    for ts, v in zip(group.timestamps, group.values, strict=True):
        arr[ts.hour] = int(v)
    return arr


def test_group_by_principal_matches_usage(model):
    c = busy(model)[0]
    groups = evaluate(model, parse_query(body(flt=eq(c.id)), NOW), NOW)
    expected = expected_by_principal(model, {c.id})
    assert {dict(g.labels)["metric.principal_id"] for g in groups} == set(expected)
    for g in groups:
        assert np.array_equal(as_hourly(g), expected[dict(g.labels)["metric.principal_id"]])
        assert list(g.timestamps) == sorted(g.timestamps, reverse=True)  # newest first
        assert all(v > 0 for v in g.values)  # hours without activity have no point


def test_or_filter_and_group_by_cluster(model):
    a, b = busy(model)[:2]
    flt = {"op": "OR", "filters": [eq(a.id), eq(b.id)]}
    groups = evaluate(model, parse_query(body(flt=flt, group_by=["resource.kafka.id"]), NOW), NOW)
    assert [dict(g.labels)["resource.kafka.id"] for g in groups] == sorted([a.id, b.id])
    usage = model.usage(DAY)
    for g in groups:
        ci = model.cluster_index[dict(g.labels)["resource.kafka.id"]]
        assert sum(g.values) == usage.cluster_request_total[ci]


def test_not_and_and_filters(model):
    a = busy(model)[0]
    principal = next(iter(expected_by_principal(model, {a.id})))
    flt = {"op": "AND", "filters": [eq(a.id), {"op": "NOT", "filter": {"field": "metric.principal_id", "op": "EQ",
                                                                       "value": principal}}]}
    groups = evaluate(model, parse_query(body(flt=flt), NOW), NOW)
    labels = {dict(g.labels)["metric.principal_id"] for g in groups}
    assert principal not in labels and labels == set(expected_by_principal(model, {a.id})) - {principal}


def test_daily_and_all_granularity(model):
    c = busy(model)[0]
    hourly = evaluate(model, parse_query(body(flt=eq(c.id), group_by=[]), NOW), NOW)
    daily = evaluate(model, parse_query(body(flt=eq(c.id), group_by=[], granularity="P1D"), NOW), NOW)
    total = evaluate(model, parse_query(body(flt=eq(c.id), group_by=[], granularity="ALL",
                                             interval="2024-06-01T00:00:00Z/P2D"), NOW), NOW)
    assert len(daily) == 1 and daily[0].timestamps == (datetime(2024, 6, 1, tzinfo=UTC),)
    assert daily[0].values[0] == sum(hourly[0].values)
    two_days = model.usage(DAY).cluster_request_total[model.cluster_index[c.id]] + \
        model.usage(DAY + timedelta(days=1)).cluster_request_total[model.cluster_index[c.id]]
    assert total[0].values == (float(two_days),)


def test_topic_metrics_and_gauge(model):
    c = busy(model)[0]
    ci = model.cluster_index[c.id]
    received = evaluate(model, parse_query(body("received_bytes", eq(c.id), ["metric.topic"]), NOW), NOW)
    assert sum(sum(g.values) for g in received) == model.usage(DAY).cluster_request_total[ci]
    retained = evaluate(model, parse_query(body("retained_bytes", eq(c.id), [], granularity="P1D"), NOW), NOW)
    expected = model.usage(DAY).topic_retained[model.topic_profile.cluster == ci].sum(axis=0).mean()
    assert retained[0].values[0] == pytest.approx(expected)


def test_hours_not_yet_elapsed_have_no_data(model):
    c = busy(model)[0]
    now = datetime(2024, 6, 1, 5, 20, tzinfo=UTC)
    groups = evaluate(model, parse_query(body(flt=eq(c.id), group_by=[]), now), now)
    assert {t.hour for t in groups[0].timestamps} <= {0, 1, 2, 3, 4}


def test_unknown_cluster_gives_no_data(model):
    assert evaluate(model, parse_query(body(flt=eq("lkc-nope00")), NOW), NOW) == []


@pytest.mark.parametrize("change, message", [
    ({"filter": None}, "resource filter"),
    ({"filter": {"field": "metric.principal_id", "op": "EQ", "value": "sa-1"}}, "resource filter"),
    ({"filter": {"field": "resource.kafka.id", "op": "LIKE", "value": "lkc-1"}}, "unsupported filter op"),
    ({"filter": {"op": "OR", "filters": []}}, "non-empty"),
    ({"group_by": ["metric.topic"]}, "invalid group_by"),
    ({"limit": 0}, "limit"),
    ({"limit": 1001}, "limit"),
    ({"granularity": "PT1M"}, "finer than"),
    ({"granularity": "PT2H"}, "invalid granularity"),
    ({"format": "CSV"}, "invalid format"),
    ({"aggregations": [{"metric": M + "nope"}]}, "unknown metric"),
    ({"aggregations": []}, "exactly one aggregation"),
    ({"intervals": ["2024-06-02T00:00:00Z/2024-06-01T00:00:00Z"]}, "start must be before end"),
    ({"intervals": ["yesterday"]}, "invalid interval"),
    ({"intervals": ["2024-01-01T00:00:00Z/2024-03-01T00:00:00Z"]}, "too long"),
])
def test_invalid_queries(model, change, message):
    b = body(flt=eq(model.kafka_clusters[0].id)) | change
    with pytest.raises(QueryError, match=message):
        parse_query(b, NOW)


def test_interval_forms():
    start = datetime(2024, 6, 1, tzinfo=UTC)
    assert parse_interval("2024-06-01T00:00:00Z/PT6H", NOW) == (start, start + timedelta(hours=6))
    assert parse_interval("P1D/2024-06-02T00:00:00Z", NOW) == (start, start + timedelta(days=1))
    assert parse_interval("2024-06-15T00:00:00+00:00/now", NOW) == (datetime(2024, 6, 15, tzinfo=UTC), NOW)

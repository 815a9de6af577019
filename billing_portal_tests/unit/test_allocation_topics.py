"""The topic view's split, pure: each cluster line over its topics by the line type's metric, exact to the unit."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa

from billing_portal.allocation.config import AllocationConfig, TopicSplit
from billing_portal.allocation.topics import TopicDay, allocate_topics

DAY = dt.date(2026, 10, 1)


def line(no, line_type, units, cluster="lkc-1"):
    return {"line_no": no, "org_id": "o", "env_id": "env-1", "resource_id": cluster, "product": "KAFKA",
            "line_type": line_type, "amount_units": units}


def usage(rows):
    start = pd.Timestamp(DAY, tz="UTC")
    return pd.DataFrame([{"hour": start + pd.Timedelta(hours=h), "cluster_id": c, "topic": t, "received_bytes": r,
                          "sent_bytes": s, "retained_bytes": k} for c, t, h, r, s, k in rows])


USAGE = usage([("lkc-1", "orders", 0, 300, 100, 1000), ("lkc-1", "orders", 1, 300, 0, 1000),
               ("lkc-1", "clicks", 1, 400, 300, 3000), ("lkc-1", "__consumer_offsets", 1, 9999, 9999, 9999)])
ATTR = pd.DataFrame([{"cluster_id": "lkc-1", "topic": "orders", "owner": "a@x.com", "team": "payments",
                      "business_unit": None, "business_product": None, "cost_center": None}])


def run(lines, config=None, expired=frozenset(), usage_frame=USAGE):
    return allocate_topics(TopicDay(DAY, pd.DataFrame(lines), usage_frame, ATTR, expired), config or AllocationConfig())


def by(facts, *cols):
    return facts.groupby(list(cols))["amount_units"].sum().to_dict()


def test_network_and_storage_follow_each_topics_bytes_by_hour_to_the_unit():
    f = run([line(0, "KAFKA_NETWORK_WRITE", 1_000_000), line(1, "KAFKA_NETWORK_READ", 400_001),
             line(2, "KAFKA_STORAGE", 5_000_000)])
    assert by(f, "line_no") == {0: 1_000_000, 1: 400_001, 2: 5_000_000}
    write = by(f[f["line_no"] == 0], "topic", "hour")
    start = pd.Timestamp(DAY, tz="UTC")
    assert write == {("orders", start): 300_000, ("orders", start + pd.Timedelta(hours=1)): 300_000,
                     ("clicks", start + pd.Timedelta(hours=1)): 400_000}
    read = by(f[f["line_no"] == 1], "topic")
    assert read["orders"] + read["clicks"] == 400_001 and abs(read["orders"] - 100_000) <= 1
    assert by(f[f["line_no"] == 2], "topic") == {"orders": 2_000_000, "clicks": 3_000_000}
    assert "__consumer_offsets" not in set(f["topic"]), "internal topics are excluded"
    assert set(zip(f["allocation_reason"], f["confidence"], strict=True)) == {
        ("topic_received_bytes", "high"), ("topic_sent_bytes", "high"), ("topic_retained_bytes", "high")}
    assert set(f.loc[f["topic"] == "orders", "team"]) == {"payments"}
    assert set(f.loc[f["topic"] == "clicks", "team"]) == {"unknown"}


def test_capacity_is_even_over_active_topics_and_ckus_by_throughput():
    f = run([line(0, "KAFKA_BASE", 4_800), line(1, "KAFKA_NUM_CKUS", 1_400)])
    base = f[f["line_no"] == 0]
    assert by(base, "topic") == {"orders": 2_400, "clicks": 2_400} and base["hour"].nunique() == 24
    assert set(base["allocation_reason"]) == {"active_topics_even"}
    cku = by(f[f["line_no"] == 1], "topic")
    assert cku == {"orders": 700, "clicks": 700}  # throughput 700 vs 700
    hybrid = AllocationConfig(topic_splits={"KAFKA_NUM_CKUS": TopicSplit(method="hybrid", usage_ratio=0.5)})
    f2 = run([line(1, "KAFKA_NUM_CKUS", 1_400)], hybrid)
    assert set(f2["allocation_method"]) == {"topic_hybrid"} and f2["amount_units"].sum() == 1_400


def test_a_cluster_without_topic_metrics_lands_on_unallocated_with_a_reason():
    f = run([line(0, "KAFKA_BASE", 2_401, cluster="lkc-2"), line(1, "KAFKA_NETWORK_WRITE", 10, cluster="lkc-3")],
            expired=frozenset({"lkc-3"}))
    assert set(f["topic"]) == {"UNALLOCATED"} and by(f, "line_no") == {0: 2_401, 1: 10}
    assert dict(zip(f["line_no"], f["allocation_reason"], strict=False)) == {
        0: "no_topic_metrics", 1: "usage_expired_before_capture"}
    assert set(f["team"]) == {"unallocated"} and set(f["confidence"]) == {"low"}


def test_credits_lines_off_cluster_and_zero_lines():
    f = run([line(0, "KAFKA_STORAGE", -5_000_001), line(1, "SUPPORT", 99, cluster=None),
             line(2, "KAFKA_PARTITION", 0)])
    assert by(f, "line_no") == {0: -5_000_001, 2: 0}, "only lines on a Kafka cluster; a zero line stays visible"
    assert (f.loc[f["line_no"] == 0, "amount_units"] <= 0).all()


def test_a_line_whose_metric_is_zero_is_split_evenly_and_says_so():
    only_retained = usage([("lkc-1", "orders", 0, 0, 0, 10), ("lkc-1", "clicks", 0, 0, 0, 30)])
    f = run([line(0, "KAFKA_NETWORK_WRITE", 100)], usage_frame=only_retained)
    assert set(f["allocation_reason"]) == {"zero_topic_usage_for_line"} and f["amount_units"].sum() == 100
    assert abs(by(f, "topic")["orders"] - 50) <= 2  # 48 hour-cells: within a unit per leftover


def test_the_arrow_table_holds_the_same_rows_with_dictionary_encoded_text():
    from billing_portal.allocation.topics import TOPIC_FACT_COLUMNS, allocate_topic_table, topic_facts_frame

    lines = [line(0, "KAFKA_NETWORK_WRITE", 1_000_000), line(1, "KAFKA_BASE", -4_801),
             line(2, "KAFKA_STORAGE", 0, cluster="lkc-2"), line(3, "SUPPORT", 5, cluster=None)]
    day = TopicDay(DAY, pd.DataFrame(lines), USAGE, ATTR, frozenset())
    table = allocate_topic_table(day, AllocationConfig())
    assert table.column_names == list(TOPIC_FACT_COLUMNS)
    assert all(pa.types.is_dictionary(table.schema.field(c).type) for c in
               ("org_id", "cluster_id", "topic", "team", "allocation_method", "allocation_reason", "confidence"))
    pd.testing.assert_frame_equal(topic_facts_frame(table), run(lines), check_exact=True)
    # every dictionary holds distinct values (the rollup groups by them)
    for c in table.column_names:
        col = table.column(c).combine_chunks()
        if pa.types.is_dictionary(col.type):
            assert len(set(col.dictionary.to_pylist())) == len(col.dictionary)
    empty = allocate_topic_table(TopicDay(DAY, pd.DataFrame([line(0, "SUPPORT", 5, cluster=None)]), USAGE, ATTR),
                                 AllocationConfig())
    assert empty.num_rows == 0 and empty.column_names == list(TOPIC_FACT_COLUMNS)
    assert list(run([line(0, "SUPPORT", 5, cluster=None)]).columns) == list(TOPIC_FACT_COLUMNS)


"""The topic view's write path, pure: the per-line reconciliation and the rollup computed from the facts in memory
(billing_portal/defs/topics/assets.py; the rollup by warehouse/rollups.py aggregate_rollup); the integration test
(test_topic_view.py) compares both with what SQL computes from the stored facts."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from billing_portal.allocation.config import AllocationConfig
from billing_portal.allocation.topics import TopicDay, allocate_topic_table
from billing_portal.defs.topics.assets import reconcile
from billing_portal.model.rollups import TOPIC_COST_DAILY
from billing_portal.warehouse.rollups import aggregate_rollup
from billing_portal_tests.unit.test_allocation_topics import ATTR, DAY, USAGE, line


def test_the_write_path_reconciles_every_cluster_line_from_memory_as_the_sql_did():
    lines = pd.DataFrame([line(0, "KAFKA_NETWORK_WRITE", 1_000_000), line(1, "KAFKA_BASE", -4_801),
                          line(2, "KAFKA_STORAGE", 0, cluster="lkc-2"), line(3, "SUPPORT", 5, cluster=None)])
    facts = allocate_topic_table(TopicDay(DAY, lines, USAGE, ATTR), AllocationConfig()).select(
        ["line_no", "amount_units"])
    assert reconcile(lines, facts) == (0, Decimal("0.00995199"), Decimal("0.00995199"))
    assert str(reconcile(lines, facts)[1]) == "0.00995199"
    short = facts.filter(pc.not_equal(facts["line_no"], 1))  # a line without facts
    extra = pa.concat_tables([facts, pa.table({"line_no": pa.array([9], pa.int64()),
                                               "amount_units": pa.array([7], pa.int64())})])  # facts of no line
    off = facts.set_column(1, "amount_units", pc.add(facts["amount_units"], 1))  # every row one unit off
    assert reconcile(lines, short) == (1, Decimal("0.00995199"), Decimal("0.01000000"))
    assert reconcile(lines, extra) == (1, Decimal("0.00995199"), Decimal("0.00995206"))
    assert reconcile(lines, off)[0] == 3
    # no Kafka-cluster line, no facts: zeros as coalesce(sum(NULL), 0) gives them
    none = reconcile(lines.iloc[3:], facts.slice(0, 0))
    assert none == (0, Decimal(0), Decimal(0)) and tuple(map(str, none[1:])) == ("0", "0")
    assert str(reconcile(lines.iloc[2:3], facts.filter(pc.equal(facts["line_no"], 2)))[2]) == "0E-8"



def test_the_topic_rollup_from_memory_sums_exactly_by_its_keys_with_null_keys_grouped():
    lines = pd.DataFrame([line(0, "KAFKA_NETWORK_WRITE", 1_000_000), line(1, "KAFKA_BASE", -4_801),
                          line(2, "KAFKA_STORAGE", 9_000_000_000_000_000), line(3, "KAFKA_BASE", 7, cluster="lkc-2")])
    lines.loc[3, "env_id"] = None
    facts = allocate_topic_table(TopicDay(DAY, lines, USAGE, ATTR), AllocationConfig())
    rollup = aggregate_rollup(TOPIC_COST_DAILY, facts)
    assert rollup.column_names == [*TOPIC_COST_DAILY.keys, "amount_units", "charges_units", "fact_rows"]
    frame = facts.to_pandas()
    keys = list(TOPIC_COST_DAILY.keys)
    expected = {}
    for row in frame.itertuples(index=False):
        k = tuple(None if pd.isna(getattr(row, c)) else str(getattr(row, c)) for c in keys)
        a, ch, n = expected.get(k, (0, 0, 0))
        expected[k] = (a + row.amount_units, ch + max(row.amount_units, 0), n + 1)
    got = {tuple(r[c] for c in keys): (r["amount_units"], r["charges_units"], r["fact_rows"])
           for r in rollup.to_pylist()}
    assert got == expected and rollup.num_rows == len(expected)
    assert sum(v[0] for v in got.values()) == 9_000_000_000_995_206
    assert any(k[keys.index("env_id")] is None for k in got), "a null key is a group of its own"

"""Property tests: whatever the usage data and amounts, each bill line's rows sum exactly to the line."""

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing_portal.allocation import AllocationConfig, DistributionRule, allocate_day
from billing_portal.allocation.testing import DayBuilder
from billing_portal.allocation.vocabulary import CONFIDENCES, METHODS, REASONS

LINE_TYPES = ["KAFKA_NETWORK_WRITE", "KAFKA_NETWORK_READ", "KAFKA_BASE", "KAFKA_NUM_CKUS", "KAFKA_STORAGE",
              "KAFKA_PARTITION", "KAFKA_REST_PRODUCE", "CONNECT_CAPACITY", "CONNECT_THROUGHPUT", "KSQL_NUM_CSU",
              "FLINK_NUM_CFUS", "SCHEMA_REGISTRY", "SUPPORT", "PROMO_CREDIT", "AUDIT_LOG_READ", "BRAND_NEW_TYPE"]
RESOURCES = ["lkc-1", "lkc-2", "lkc-idle", "lcc-1", "lksqlc-1", "lfcp-1", "lsrc-1", "env-1", "lkc-unknown", None]
AMOUNTS = st.one_of(st.integers(-10**15, 10**15), st.sampled_from([0, 1, -1, 7, 10**17, -(10**17)]))
BYTES = st.one_of(st.just(0.0), st.floats(0, 1e15, allow_nan=False), st.floats(1e-3, 1.0))

usage_rows = st.lists(st.tuples(st.sampled_from(["lkc-1", "lkc-2"]), st.integers(0, 40), st.integers(0, 23),
                                BYTES, BYTES), max_size=80)
bill_lines = st.lists(st.tuples(st.sampled_from(LINE_TYPES), st.sampled_from(RESOURCES), AMOUNTS),
                      min_size=1, max_size=25)
configs = st.sampled_from([
    AllocationConfig(),
    AllocationConfig(default_no_resource_rule=DistributionRule(spread="allocated_cost")),
    AllocationConfig(default_no_resource_rule=DistributionRule(spread="even_active_principals"),
                     shared_splits={"KAFKA_BASE": {"method": "usage"}, "KAFKA_STORAGE": {"method": "hybrid",
                                                                                          "usage_ratio": 0.3}}),
])


def build(usage, lines, keys: int) -> DayBuilder:
    b = DayBuilder().env("env-1").cluster("lkc-1").cluster("lkc-2").cluster("lkc-idle")
    b.service_account("sa-0000").connector("lcc-1", "lkc-1", sa="sa-0000").ksqldb("lksqlc-1", "lkc-2", None)
    b.flink_pool("lfcp-1").schema_registry("lsrc-1")
    for i in range(keys):
        b.api_key(f"K{i}", f"sa-{i:04d}", "lkc-2" if i % 2 else "lsrc-1")
    for cluster, p, h, req, resp in usage:
        b.usage(cluster, f"sa-{p:04d}", h, request=req, response=resp)
    for lt, res, units in lines:
        b.line(lt, res, "0", env="env-1" if res else None)
        b.lines[-1]["amount_units"] = units
    return b


def check(b: DayBuilder, config: AllocationConfig) -> pd.DataFrame:
    lines = b.lines_frame()
    facts = allocate_day(b.build(), config).facts
    sums = facts.groupby("line_no")["amount_units"].sum()
    assert sums.reindex(lines["line_no"]).tolist() == lines["amount_units"].tolist()
    sign = np.sign(lines.set_index("line_no")["amount_units"]).reindex(facts["line_no"]).to_numpy()
    assert (facts["amount_units"].to_numpy() * sign >= 0).all()
    assert set(facts["allocation_method"]) <= {str(m) for m in METHODS}
    assert set(facts["allocation_reason"]) <= {str(r) for r in REASONS}
    assert set(facts["confidence"]) <= {str(c) for c in CONFIDENCES}
    day = pd.Timestamp(b.day, tz="UTC")
    assert facts["hour"].between(day, day + pd.Timedelta(hours=23)).all()
    assert facts["principal_id"].notna().all()
    return facts


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(usage=usage_rows, lines=bill_lines, keys=st.integers(0, 5), config=configs)
def test_property_lines_always_sum_exactly(usage, lines, keys, config):
    check(build(usage, lines, keys), config)


@settings(max_examples=5, deadline=None)
@given(amount=AMOUNTS, seed=st.integers(0, 10**6))
def test_property_thousands_of_principals(amount, seed):
    rng = np.random.default_rng(seed)
    n = 3000
    usage = [("lkc-1", int(p), int(h), float(rq), float(rs)) for p, h, rq, rs in
             zip(rng.integers(0, n, 4000), rng.integers(0, 24, 4000), rng.lognormal(5, 4, 4000) * (rng.random(4000) < .7),
                 rng.lognormal(5, 4, 4000) * (rng.random(4000) < .7), strict=True)]
    lines = [(lt, "lkc-1", amount) for lt in ("KAFKA_NETWORK_WRITE", "KAFKA_NETWORK_READ", "KAFKA_NUM_CKUS",
                                              "KAFKA_BASE", "KAFKA_STORAGE")] + [("SUPPORT", None, amount)]
    config = AllocationConfig(default_no_resource_rule=DistributionRule(spread="allocated_cost"))
    check(build(usage, lines, keys=0), config)


def test_one_principal_gets_everything():
    b = build([("lkc-1", 3, 7, 10.0, 10.0)], [("KAFKA_NUM_CKUS", "lkc-1", 123456789)], keys=0)
    facts = check(b, AllocationConfig())
    assert set(facts["principal_id"]) == {"sa-0003"} and facts["amount_units"].sum() == 123456789

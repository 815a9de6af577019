"""allocate_day as a whole: the facts contract, zero lines, stats, inputs tolerance."""

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd

from billing_portal.allocation import FACT_COLUMNS, AllocationConfig, DayInputs, allocate_day, reconcile
from billing_portal.allocation.testing import DayBuilder, totals_by


def rich_day() -> DayBuilder:
    b = DayBuilder().env("env-1", "prod-owner-ops@x.com").cluster("lkc-1").cluster("lkc-2")
    b.service_account("sa-a", description="Owner: ann@x.com").service_account("sa-b").api_key("K", "sa-b", "lkc-2")
    b.connector("lcc-1", "lkc-1", sa="sa-a").schema_registry("lsrc-1")
    for h in range(0, 24, 3):
        b.usage("lkc-1", "sa-a", h, request=100 + h, response=50)
        b.usage("lkc-1", "sa-b", h, request=10, response=500 + h)
    b.line("KAFKA_NETWORK_WRITE", "lkc-1", "3.21").line("KAFKA_NETWORK_READ", "lkc-1", "1.23")
    b.line("KAFKA_NUM_CKUS", "lkc-1", "48.00").line("KAFKA_NUM_CKUS", "lkc-1", "12.00")  # two pricing tiers
    b.line("KAFKA_BASE", "lkc-2", "1.00").line("CONNECT_CAPACITY", "lcc-1", "0.00")
    b.line("SCHEMA_REGISTRY", "lsrc-1", "0.10").line("SUPPORT", None, "10.00", env=None)
    b.line("PROMO_CREDIT", None, "-5.00", env=None).line("UFO", "lkc-9", "0.01")
    return b


def test_facts_have_the_contract_columns_in_order_and_types():
    facts = allocate_day(rich_day().build(), AllocationConfig()).facts
    assert list(facts.columns) == list(FACT_COLUMNS)
    assert facts["amount_units"].dtype == np.int64
    assert isinstance(facts["hour"].dtype, pd.DatetimeTZDtype) and str(facts["hour"].dt.tz) == "UTC"
    day = pd.Timestamp("2024-05-01", tz="UTC")
    assert facts["hour"].min() >= day and facts["hour"].max() < day + pd.Timedelta(days=1)
    assert (facts["hour"] == facts["hour"].dt.floor("h")).all()
    assert facts["hour"].is_monotonic_increasing
    assert set(facts["usage_date"]) == {dt.date(2024, 5, 1)}
    for col in ("product", "line_type", "principal_id", "allocation_method", "allocation_reason", "confidence",
                "owner", "team", "business_unit", "business_product", "cost_center", "org_id"):
        assert facts[col].notna().all(), col
    assert set(facts["org_id"]) == {"org-1"}


def test_every_line_sums_exactly_and_reconciles():
    b = rich_day()
    result = allocate_day(b.build(), AllocationConfig())
    lines = b.lines_frame()
    per_line = result.facts.groupby("line_no")["amount_units"].sum()
    assert per_line.to_dict() == dict(zip(lines["line_no"], lines["amount_units"], strict=True))
    rec = reconcile(lines, result.facts)
    assert rec.ok and rec.differences.empty


def test_zero_amount_line_keeps_exactly_one_row():
    facts = allocate_day(rich_day().build(), AllocationConfig()).facts
    zero = facts[facts["line_type"] == "CONNECT_CAPACITY"]
    assert len(zero) == 1 and zero["amount_units"].iloc[0] == 0
    assert zero["principal_id"].iloc[0] == "sa-a"
    assert (facts.loc[facts["line_type"] != "CONNECT_CAPACITY", "amount_units"] != 0).all()


def test_tiny_amount_over_many_rows_drops_zero_rows_but_stays_exact():
    b = DayBuilder().env("env-1").cluster("lkc-1")
    for i in range(50):
        b.service_account(f"sa-{i:02d}").api_key(f"K{i}", f"sa-{i:02d}", "lkc-1")
    b.line("KAFKA_BASE", "lkc-1", "0.00000007")
    facts = allocate_day(b.build(), AllocationConfig()).facts
    assert facts["amount_units"].tolist() == [1] * 7
    assert facts["principal_id"].nunique() == 7


def test_facts_carry_line_dimensions():
    facts = allocate_day(rich_day().build(), AllocationConfig()).facts
    row = facts[facts["line_type"] == "KAFKA_NETWORK_WRITE"].iloc[0]
    assert (row["env_id"], row["resource_id"], row["resource_type"], row["cluster_id"], row["product"]) == \
        ("env-1", "lkc-1", "kafka_cluster", "lkc-1", "KAFKA")
    assert row["principal_type"] == "service_account"
    sa_a = facts[facts["principal_id"] == "sa-a"]
    assert set(sa_a["owner"]) == {"ann@x.com"}


def test_stats_describe_the_day():
    b = rich_day()
    stats = allocate_day(b.build(), AllocationConfig()).stats
    total = int(b.lines_frame()["amount_units"].sum())
    assert stats["lines"] == 10 and stats["amount_units"] == total == stats["allocated_units"]
    assert sum(stats["by_method_units"].values()) == total
    assert sum(stats["by_confidence_units"].values()) == total
    assert sum(stats["by_coverage_units"].values()) == total
    assert stats["lines_by_rule"] == {"connect": 1, "fallback": 1, "governance": 1, "kafka_network": 2,
                                      "kafka_shared": 3, "no_resource": 2}
    assert stats["unallocated_units"] == 1_000_000_000 - 500_000_000  # support + credit (UFO: env owner)
    assert stats["lines_by_method"]["env_owner"] == 2  # UFO and the Schema Registry without key holders
    assert stats["unallocated_charges_units"] == 1_000_000_000 and stats["credits_units"] == -500_000_000
    assert stats["charges_units"] + stats["credits_units"] == total
    assert stats["zero_amount_lines"] == 1


def test_inputs_without_attribution_frames_or_units_are_accepted():
    b = rich_day()
    full = b.build()
    lines = full.lines.drop(columns=["amount_units"])
    inputs = DayInputs(usage_date=full.usage_date, org_id="org-1", lines=lines, usage=full.usage,
                       objects=full.objects)
    facts = allocate_day(inputs, AllocationConfig()).facts
    assert facts["amount_units"].sum() == sum(int(a * 100_000_000) for a in lines["amount"])
    assert isinstance(lines["amount"].iloc[0], Decimal)


def test_usage_outside_the_day_and_bad_bytes_are_ignored():
    b = DayBuilder().env("env-1").cluster("lkc-1")
    b.usage("lkc-1", "sa-a", hour=5, request=100)
    b.usage("lkc-1", "sa-b", hour=25, request=1e9)        # next day
    b.usage("lkc-1", "sa-c", hour=-1, request=1e9)        # previous day
    b.usage("lkc-1", "sa-d", hour=6, request=float("nan"), response=-5)
    b.line("KAFKA_NETWORK_WRITE", "lkc-1", "1.00")
    result = allocate_day(b.build(), AllocationConfig())
    assert totals_by(result.facts, "principal_id") == {"sa-a": 100_000_000}
    assert result.stats["usage_rows_ignored"] == 2


def test_empty_day():
    result = allocate_day(DayBuilder().build(), AllocationConfig())
    assert list(result.facts.columns) == list(FACT_COLUMNS) and result.facts.empty
    assert result.stats["rows"] == 0


def test_deterministic():
    a = allocate_day(rich_day().build(), AllocationConfig()).facts
    b = allocate_day(rich_day().build(), AllocationConfig()).facts
    pd.testing.assert_frame_equal(a, b)

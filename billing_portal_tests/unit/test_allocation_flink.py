"""Flink by statement owner (rules/flink.py): a compute pool's CFU line split over its statements by their CFUs, hour
by hour, each statement's principal paying; unknown statement principals and pools without statement metrics go to
the pool's owner tier. Pure: no database."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from billing_portal.allocation import allocate_day
from billing_portal.allocation.config import AllocationConfig
from billing_portal.allocation.testing import DayBuilder, totals_by
from billing_portal.ownership import OwnershipMapping


def pool_day() -> DayBuilder:
    b = DayBuilder().env("env-1").service_account("sa-a").service_account("sa-b").user("u-c", "cleo@x.com")
    b.flink_pool("lfcp-1", name="etl-owner-cleo@x.com")
    b.statement("orders-enrich", "lfcp-1", "sa-a").statement("payments-dedupe", "lfcp-1", "sa-b")
    return b


def test_the_pool_line_follows_each_statements_cfus_hour_by_hour():
    b = pool_day()
    for h in range(24):
        b.statement_cfus("lfcp-1", "orders-enrich", h, 3)
    for h in range(12):
        b.statement_cfus("lfcp-1", "payments-dedupe", h, 2)
    b.line("FLINK_NUM_CFUS", "lfcp-1", "9.60")  # 72 + 24 = 96 CFU-hours at 0.10
    facts = allocate_day(b.build(), AllocationConfig()).facts
    assert totals_by(facts, "principal_id", "allocation_method", "allocation_reason", "confidence") == {
        ("sa-a", "usage_share", "statement_cfu_share", "high"): 720_000_000,
        ("sa-b", "usage_share", "statement_cfu_share", "high"): 240_000_000}
    by_hour = facts[facts["principal_id"] == "sa-b"].groupby(facts["hour"].dt.hour)["amount_units"].sum()
    assert set(by_hour.index) == set(range(12)) and (by_hour == 20_000_000).all()
    assert int(facts["amount_units"].sum()) == 960_000_000


def test_a_statement_never_observed_pays_through_the_pools_owner_in_its_hours():
    b = pool_day()
    b.statement("workspace-select", "lfcp-1", None)
    b.statement_cfus("lfcp-1", "orders-enrich", 1, 1).statement_cfus("lfcp-1", "workspace-select", 5, 3)
    b.line("FLINK_NUM_CFUS", "lfcp-1", "1.00")
    facts = allocate_day(b.build(), AllocationConfig()).facts
    got = totals_by(facts, "principal_id", "allocation_method", "allocation_reason")
    assert got == {("sa-a", "usage_share", "statement_cfu_share"): 25_000_000,
                   ("u-c", "resource_owner", "statement_owner_unknown"): 75_000_000}
    unknown = facts[facts["allocation_reason"] == "statement_owner_unknown"]
    assert set(unknown["hour"].dt.hour) == {5} and set(unknown["confidence"]) == {"medium"}


def test_a_pool_without_statement_metrics_goes_to_its_owner_as_before():
    b = pool_day().line("FLINK_NUM_CFU", "lfcp-1", "2.40")
    facts = allocate_day(b.build(), AllocationConfig()).facts
    assert totals_by(facts, "principal_id", "allocation_method", "allocation_reason", "confidence") == {
        ("u-c", "resource_owner", "owner_from_name", "medium"): 240_000_000}
    expired = pool_day().line("FLINK_NUM_CFUS", "lfcp-1", "1.00")
    expired.flink_sources["lfcp-1"] = "expired"
    facts = allocate_day(expired.build(), AllocationConfig()).facts
    assert set(facts["allocation_reason"]) == {"usage_expired_before_capture"}


def test_uneven_cfus_sum_exactly_to_odd_amounts_and_attributes_follow_the_principal():
    b = pool_day()
    for h, (a, c) in enumerate([(1.3, 0.7), (2.9, 0.1), (0.25, 4.5)] * 8):
        b.statement_cfus("lfcp-1", "orders-enrich", h, a).statement_cfus("lfcp-1", "payments-dedupe", h, c)
    b.line("FLINK_NUM_CFUS", "lfcp-1", "0.00000007").line("FLINK_NUM_CFUS", "lfcp-1", "123.45678901")
    mapping = OwnershipMapping.model_validate({"principals": {"sa-a": {"team": "orders"}}})
    facts = allocate_day(b.build(mapping), AllocationConfig()).facts
    per_line = facts.groupby("line_no")["amount_units"].sum().to_dict()
    assert per_line == {0: 7, 1: 12_345_678_901}
    assert set(facts.loc[facts["principal_id"] == "sa-a", "team"]) == {"orders"}
    weights = {"sa-a": Decimal(str(sum([1.3, 2.9, 0.25]) * 8)), "sa-b": Decimal(str(sum([0.7, 0.1, 4.5]) * 8))}
    share = Decimal(int(facts[(facts.line_no == 1) & (facts.principal_id == "sa-a")]["amount_units"].sum())) / \
        Decimal(12_345_678_901)
    assert abs(share - weights["sa-a"] / sum(weights.values())) < Decimal("1e-9")
    assert isinstance(facts["hour"].dtype, pd.DatetimeTZDtype)

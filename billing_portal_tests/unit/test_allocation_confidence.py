"""compute_confidence: shares per confidence level and coverage KPIs per day, team and business unit."""

import datetime as dt
from decimal import Decimal

import pandas as pd

from billing_portal.allocation import AllocationConfig, allocate_day, compute_confidence
from billing_portal.allocation.confidence import CONFIDENCE_COLUMNS
from billing_portal.allocation.testing import DayBuilder
from billing_portal.ownership import OwnershipMapping


def facts_frame(rows):
    return pd.DataFrame(rows, columns=["usage_date", "team", "business_unit", "confidence", "allocation_method",
                                       "principal_id", "amount_units"])


D = dt.date(2024, 5, 1)


def test_buckets_add_up_per_scope():
    facts = facts_frame([
        (D, "payments", "fin", "high", "usage_share", "sa-1", 500),
        (D, "payments", "fin", "medium", "hybrid", "sa-1", 100),
        (D, "payments", "fin", "high", "object_owner", "sa-2", 50),
        (D, "data", "tech", "medium", "resource_owner", "lkc-1", 30),
        (D, "data", "tech", "low", "even_active_principals", "sa-3", 20),
        (D, "unallocated", "unallocated", "low", "unallocated", "UNALLOCATED", 200),
        (D, "data", "tech", "low", "distribution_rule", "sa-3", -100),
    ])
    out = compute_confidence(facts)
    assert list(out.columns) == list(CONFIDENCE_COLUMNS)
    total = out[out["scope_type"] == "total"].iloc[0]
    assert total["scope_value"] == "all" and total["usage_date"] == D
    assert total["total_usd"] == Decimal("0.00000800")
    assert (total["high_usd"], total["medium_usd"], total["low_usd"]) == (
        Decimal("0.00000550"), Decimal("0.00000130"), Decimal("0.00000120"))
    assert (total["by_usage_usd"], total["by_ownership_usd"], total["by_fallback_usd"], total["unallocated_usd"]) == (
        Decimal("0.00000600"), Decimal("0.00000080"), Decimal("-0.00000080"), Decimal("0.00000200"))
    teams = out[out["scope_type"] == "team"].set_index("scope_value")
    assert set(teams.index) == {"payments", "data", "unallocated"}
    assert teams.loc["payments", "total_usd"] == Decimal("0.00000650")
    bus = out[out["scope_type"] == "business_unit"].set_index("scope_value")
    assert bus.loc["tech", "by_fallback_usd"] == Decimal("-0.00000080")
    for _, row in out.iterrows():
        assert row["high_usd"] + row["medium_usd"] + row["low_usd"] == row["total_usd"]
        assert row["by_usage_usd"] + row["by_ownership_usd"] + row["by_fallback_usd"] + row["unallocated_usd"] \
            == row["total_usd"]


def test_pre_aggregated_groups_without_date_as_the_confidence_asset_sends_them():
    grouped = pd.DataFrame({"team": ["a", "a", None], "business_unit": ["x", "x", None],
                            "confidence": ["high", "low", "low"],
                            "allocation_method": ["usage_share", "env_owner", "unallocated"],
                            "unallocated": [False, False, True], "principal_id": ["", "", "UNALLOCATED"],
                            "amount_usd": [Decimal("1.5"), Decimal("0.5"), Decimal("2")],
                            "amount_units": [150_000_000, 50_000_000, 200_000_000]})
    out = compute_confidence(grouped)
    total = out[out["scope_type"] == "total"].iloc[0]
    assert total["usage_date"] is None
    assert total["total_usd"] == Decimal("4.00000000") and total["unallocated_usd"] == Decimal("2.00000000")
    assert set(out.loc[out["scope_type"] == "team", "scope_value"]) == {"a", "unknown"}


def test_on_real_facts_total_matches_the_bill():
    b = DayBuilder().env("env-1").cluster("lkc-1").service_account("sa-a").usage("lkc-1", "sa-a", 1, request=10)
    b.line("KAFKA_NETWORK_WRITE", "lkc-1", "3.00").line("SUPPORT", None, "1.00", env=None)
    mapping = OwnershipMapping.model_validate({"principals": {"sa-a": {"team": "t", "business_unit": "bu"}}})
    facts = allocate_day(b.build(mapping), AllocationConfig()).facts
    out = compute_confidence(facts)
    total = out[out["scope_type"] == "total"].iloc[0]
    assert total["total_usd"] == Decimal("4.00000000")
    assert total["high_usd"] == Decimal("3.00000000") and total["unallocated_usd"] == Decimal("1.00000000")
    assert out[(out["scope_type"] == "team") & (out["scope_value"] == "t")].iloc[0]["by_usage_usd"] == Decimal("3")

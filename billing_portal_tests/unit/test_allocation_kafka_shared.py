"""Shared cluster costs: configurable split (usage | even | hybrid), medium confidence, fallbacks."""

from billing_portal.allocation import AllocationConfig, SharedSplit, allocate_day
from billing_portal.allocation.testing import DayBuilder, totals_by


def cluster_day() -> DayBuilder:
    """sa-a: 750 bytes (request 600), sa-b: 250 bytes (request 0), sa-c: holds a key, no traffic."""
    b = DayBuilder().env("env-1").cluster("lkc-1")
    for sa in ("sa-a", "sa-b", "sa-c"):
        b.service_account(sa)
    b.api_key("KC", "sa-c", "lkc-1")
    b.usage("lkc-1", "sa-a", hour=0, request=600, response=150)
    b.usage("lkc-1", "sa-b", hour=12, request=0, response=250)
    return b


def test_kafka_base_defaults_to_even_over_active_principals_all_hours():
    b = cluster_day().line("KAFKA_BASE", "lkc-1", "7.20")
    facts = allocate_day(b.build(), AllocationConfig()).facts
    assert totals_by(facts, "principal_id") == {"sa-a": 240_000_000, "sa-b": 240_000_000, "sa-c": 240_000_000}
    assert len(facts) == 72 and sorted(set(facts["hour"].dt.hour)) == list(range(24))
    assert set(facts["allocation_method"]) == {"even_active_principals"}
    assert set(facts["allocation_reason"]) == {"shared_even_split"}
    assert set(facts["confidence"]) == {"medium"}


def test_ckus_default_hybrid_seventy_percent_usage():
    b = cluster_day().line("KAFKA_NUM_CKUS", "lkc-1", "10.00")
    facts = allocate_day(b.build(), AllocationConfig()).facts
    # weight = 0.7 × usage share + 0.3 / 3 active principals
    assert totals_by(facts, "principal_id") == {"sa-a": 625_000_000, "sa-b": 275_000_000, "sa-c": 100_000_000}
    assert set(facts["allocation_method"]) == {"hybrid"}
    assert set(facts["allocation_reason"]) == {"shared_hybrid_split"}
    # a capacity line: every hour carries 1/24 (to within one unit per principal: principals are rounded first)
    per_hour = facts.groupby("hour")["amount_units"].sum()
    assert len(per_hour) == 24 and (abs(per_hour - 1_000_000_000 / 24) <= 3).all()


def test_storage_defaults_to_usage_share_of_request_bytes():
    b = cluster_day().line("KAFKA_STORAGE", "lkc-1", "2.40")
    facts = allocate_day(b.build(), AllocationConfig()).facts
    assert totals_by(facts, "principal_id") == {"sa-a": 240_000_000}  # only sa-a produced
    assert set(facts["allocation_method"]) == {"usage_share"}
    assert set(facts["allocation_reason"]) == {"cluster_usage_share"}
    assert len(facts) == 24


def test_usage_split_over_total_bytes_by_configuration():
    config = AllocationConfig.model_validate({"shared_splits": {"KAFKA_PARTITION": {"method": "usage"}}})
    b = cluster_day().line("KAFKA_PARTITION", "lkc-1", "4.00")
    facts = allocate_day(b.build(), config).facts
    assert totals_by(facts, "principal_id") == {"sa-a": 300_000_000, "sa-b": 100_000_000}


def test_usage_driven_shared_line_follows_the_hours_of_usage():
    b = cluster_day().line("KAFKA_REST_PRODUCE", "lkc-1", "1.00")
    facts = allocate_day(b.build(), AllocationConfig()).facts
    assert totals_by(facts, "principal_id") == {"sa-a": 100_000_000}
    assert set(facts["hour"].dt.hour) == {0}


def test_hybrid_on_a_usage_driven_line_mixes_hourly_usage_and_even_part():
    config = AllocationConfig(shared_splits={"KAFKA_REST_PRODUCE": SharedSplit(method="hybrid", usage_ratio=0.5,
                                                                               metric="total")})
    b = cluster_day().line("KAFKA_REST_PRODUCE", "lkc-1", "12.00")
    facts = allocate_day(b.build(), config).facts
    # usage half: 750/1000 to sa-a at 00h, 250/1000 to sa-b at 12h; even half: 1/3 each, on the same hourly shape
    assert totals_by(facts, "principal_id") == {"sa-a": 650_000_000, "sa-b": 350_000_000, "sa-c": 200_000_000}
    assert totals_by(facts, "hour") == {facts["hour"].min(): 900_000_000, facts["hour"].max(): 300_000_000}


def test_unknown_shared_line_types_use_the_default_split():
    config = AllocationConfig(default_shared_split=SharedSplit(method="usage"),
                              line_type_rules={"KAFKA_SOMETHING_NEW": "kafka_shared"})
    b = cluster_day().line("KAFKA_SOMETHING_NEW", "lkc-1", "1.00")
    facts = allocate_day(b.build(), config).facts
    assert totals_by(facts, "principal_id") == {"sa-a": 75_000_000, "sa-b": 25_000_000}


def test_even_split_without_active_principals_goes_to_owner_then_unallocated():
    b = DayBuilder().env("env-1").cluster("lkc-1").cluster("lkc-2", name="x-owner-carol")
    b.line("KAFKA_BASE", "lkc-1", "1.00").line("KAFKA_BASE", "lkc-2", "1.00")
    facts = allocate_day(b.build(), AllocationConfig()).facts
    got = totals_by(facts, "resource_id", "principal_id", "allocation_method", "allocation_reason", "confidence")
    assert got == {
        ("lkc-1", "UNALLOCATED", "unallocated", "no_active_principals", "low"): 100_000_000,
        ("lkc-2", "lkc-2", "resource_owner", "owner_from_name", "medium"): 100_000_000,
    }


def test_usage_split_without_metrics_prefers_owner_then_key_holders():
    b = DayBuilder().env("env-1").cluster("lkc-1").service_account("sa-k").api_key("K", "sa-k", "lkc-1")
    b.line("KAFKA_STORAGE", "lkc-1", "1.00")
    facts = allocate_day(b.build(), AllocationConfig()).facts
    assert totals_by(facts, "principal_id", "allocation_method", "allocation_reason", "confidence") == {
        ("sa-k", "even_active_principals", "no_metrics_for_cluster", "low"): 100_000_000}

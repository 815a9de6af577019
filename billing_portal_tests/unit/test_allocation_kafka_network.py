"""KAFKA_NETWORK_WRITE / READ: principal share of request / response bytes, hour by hour; fallback tiers."""

import pandas as pd

from billing_portal.allocation import AllocationConfig, allocate_day
from billing_portal.allocation.testing import DayBuilder, totals_by


def day_with_traffic() -> DayBuilder:
    b = DayBuilder()
    b.env("env-1").cluster("lkc-1")
    b.service_account("sa-a").service_account("sa-b")
    b.usage("lkc-1", "sa-a", hour=1, request=300, response=0)
    b.usage("lkc-1", "sa-b", hour=1, request=100, response=500)
    b.usage("lkc-1", "sa-a", hour=5, request=600, response=500)
    return b


def test_write_follows_request_bytes_per_hour_and_principal():
    b = day_with_traffic().line("KAFKA_NETWORK_WRITE", "lkc-1", "10.00")
    facts = allocate_day(b.build(), AllocationConfig()).facts
    t0 = pd.Timestamp("2024-05-01", tz="UTC")
    assert totals_by(facts, "hour", "principal_id") == {
        (t0 + pd.Timedelta(hours=1), "sa-a"): 300_000_000,   # 300 / 1000 bytes of the day
        (t0 + pd.Timedelta(hours=1), "sa-b"): 100_000_000,
        (t0 + pd.Timedelta(hours=5), "sa-a"): 600_000_000,
    }
    assert set(facts["allocation_method"]) == {"usage_share"}
    assert set(facts["allocation_reason"]) == {"network_bytes_share"}
    assert set(facts["confidence"]) == {"high"}


def test_read_follows_response_bytes():
    b = day_with_traffic().line("KAFKA_NETWORK_READ", "lkc-1", "6.00")
    facts = allocate_day(b.build(), AllocationConfig()).facts
    assert totals_by(facts, "principal_id") == {"sa-a": 300_000_000, "sa-b": 300_000_000}
    assert facts["hour"].dt.hour.tolist() == [1, 5]  # the zero-byte row of sa-a at 01:00 is not a fact


def test_credit_on_a_network_line_is_split_with_its_sign():
    b = day_with_traffic().line("KAFKA_NETWORK_WRITE", "lkc-1", "-0.00000007")
    facts = allocate_day(b.build(), AllocationConfig()).facts
    assert facts["amount_units"].sum() == -7
    assert (facts["amount_units"] <= 0).all()


def test_no_metrics_falls_to_resource_owner_first():
    b = DayBuilder().env("env-1").cluster("lkc-9", name="orders-owner-bob")
    b.service_account("sa-a").api_key("K1", "sa-a", "lkc-9")
    b.line("KAFKA_NETWORK_WRITE", "lkc-9", "1.00")
    facts = allocate_day(b.build(), AllocationConfig()).facts
    assert set(facts["principal_id"]) == {"lkc-9"}            # bob is not a principal: the cluster stands for him
    assert set(facts["principal_type"]) == {"kafka_cluster"}
    assert set(facts["owner"]) == {"bob"}
    assert set(facts["allocation_method"]) == {"resource_owner"}
    assert set(facts["allocation_reason"]) == {"owner_from_name"}
    assert set(facts["confidence"]) == {"medium"}
    assert len(facts) == 24 and facts["hour"].dt.hour.tolist() == list(range(24))


def test_no_metrics_no_owner_goes_even_over_key_holders_low():
    b = DayBuilder().env("env-1").cluster("lkc-9")
    b.service_account("sa-a").service_account("sa-b").api_key("K1", "sa-a", "lkc-9").api_key("K2", "sa-b", "lkc-9")
    b.line("KAFKA_NETWORK_READ", "lkc-9", "0.48")
    facts = allocate_day(b.build(), AllocationConfig()).facts
    assert totals_by(facts, "principal_id") == {"sa-a": 24_000_000, "sa-b": 24_000_000}
    assert set(facts["allocation_method"]) == {"even_active_principals"}
    assert set(facts["allocation_reason"]) == {"no_metrics_for_cluster"}
    assert set(facts["confidence"]) == {"low"}


def test_metrics_without_bytes_in_that_direction_says_zero_usage():
    b = DayBuilder().env("env-1").cluster("lkc-1").service_account("sa-a")
    b.usage("lkc-1", "sa-a", hour=2, request=500, response=0)
    b.line("KAFKA_NETWORK_READ", "lkc-1", "1.00")
    facts = allocate_day(b.build(), AllocationConfig()).facts
    assert set(facts["allocation_reason"]) == {"zero_usage_for_line"}
    assert set(facts["principal_id"]) == {"sa-a"}   # sa-a is active (seen in metrics): even tier


def test_nothing_known_is_unallocated_low():
    b = DayBuilder().line("KAFKA_NETWORK_WRITE", "lkc-gone", "1.00", env=None)
    facts = allocate_day(b.build(), AllocationConfig()).facts
    assert set(facts["principal_id"]) == {"UNALLOCATED"}
    assert set(facts["allocation_method"]) == {"unallocated"}
    assert set(facts["allocation_reason"]) == {"no_metrics_for_cluster"}
    assert facts["amount_units"].sum() == 100_000_000


def test_environment_owner_is_the_last_tier_before_unallocated():
    b = DayBuilder().env("env-1", "prod-owner-ops@x.com").cluster("lkc-9")
    b.line("KAFKA_NETWORK_WRITE", "lkc-9", "1.00")
    facts = allocate_day(b.build(), AllocationConfig()).facts
    assert set(facts["allocation_method"]) == {"env_owner"}
    assert set(facts["principal_id"]) == {"env-1"}
    assert set(facts["owner"]) == {"ops@x.com"}
    assert set(facts["confidence"]) == {"low"}


def test_api_key_in_metrics_counts_for_its_owner():
    b = DayBuilder().env("env-1").cluster("lkc-1").service_account("sa-a").api_key("ABCKEY", "sa-a", "lkc-1")
    b.usage("lkc-1", "ABCKEY", hour=0, request=10)
    b.line("KAFKA_NETWORK_WRITE", "lkc-1", "1.00")
    facts = allocate_day(b.build(), AllocationConfig()).facts
    assert set(facts["principal_id"]) == {"sa-a"}

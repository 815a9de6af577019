"""Unknown line types are never dropped: fallback ladder, reason `unknown_line_type` at every tier."""

from billing_portal.allocation import AllocationConfig, allocate_day
from billing_portal.allocation.testing import DayBuilder, totals_by


def test_unknown_line_type_on_an_owned_resource():
    b = DayBuilder().env("env-1").cluster("lkc-1", name="x-owner-kim").line("KAFKA_QUANTUM", "lkc-1", "1.00")
    facts = allocate_day(b.build(), AllocationConfig()).facts
    assert totals_by(facts, "principal_id", "allocation_method", "allocation_reason", "confidence") == {
        ("lkc-1", "resource_owner", "unknown_line_type", "medium"): 100_000_000}
    assert set(facts["line_type"]) == {"KAFKA_QUANTUM"}


def test_unknown_line_type_even_then_unallocated():
    b = DayBuilder().env("env-1").cluster("lkc-1").cluster("lkc-2").service_account("sa-a")
    b.usage("lkc-1", "sa-a", hour=0, request=1)
    b.line("NEW_THING", "lkc-1", "1.00").line("NEW_THING", "lkc-2", "2.00")
    facts = allocate_day(b.build(), AllocationConfig()).facts
    assert totals_by(facts, "resource_id", "principal_id", "allocation_method", "allocation_reason") == {
        ("lkc-1", "sa-a", "even_active_principals", "unknown_line_type"): 100_000_000,
        ("lkc-2", "UNALLOCATED", "unallocated", "unknown_line_type"): 200_000_000,
    }


def test_unknown_product_without_resource_is_unallocated():
    b = DayBuilder().line("MYSTERY_FEE", None, "5.00", env=None, product="SOMETHING_NEW")
    facts = allocate_day(b.build(), AllocationConfig()).facts
    assert totals_by(facts, "product", "principal_id", "allocation_reason") == {
        ("SOMETHING_NEW", "UNALLOCATED", "no_resource_on_line"): 500_000_000}


def test_line_type_can_be_routed_to_another_rule_by_configuration():
    b = DayBuilder().env("env-1").cluster("lkc-1").service_account("sa-a").usage("lkc-1", "sa-a", 3, request=5)
    b.line("KAFKA_NETWORK_EGRESS_V2", "lkc-1", "1.00")
    config = AllocationConfig(line_type_rules={"kafka_network_egress_v2": "kafka_network"})
    facts = allocate_day(b.build(), config).facts
    assert totals_by(facts, "principal_id", "allocation_method") == {("sa-a", "usage_share"): 100_000_000}


def test_known_line_type_routed_to_fallback_says_so():
    b = DayBuilder().env("env-1").cluster("lkc-1").service_account("sa-a").api_key("K", "sa-a", "lkc-1")
    b.line("KAFKA_BASE", "lkc-1", "1.00")
    facts = allocate_day(b.build(), AllocationConfig(line_type_rules={"KAFKA_BASE": "fallback"})).facts
    assert set(facts["allocation_reason"]) == {"routed_to_fallback"}

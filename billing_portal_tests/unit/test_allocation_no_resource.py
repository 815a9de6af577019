"""Lines without a resource: UNALLOCATED by default, or a configured distribution rule."""

from billing_portal.allocation import AllocationConfig, DistributionRule, allocate_day
from billing_portal.allocation.testing import DayBuilder, totals_by


def spend_day() -> DayBuilder:
    """sa-a spends $3 at 02:00, sa-b $1 at 10:00 (network write); plus support, a promo credit and audit logs."""
    b = DayBuilder().env("env-1").cluster("lkc-1").service_account("sa-a").service_account("sa-b")
    b.usage("lkc-1", "sa-a", hour=2, request=300).usage("lkc-1", "sa-b", hour=10, request=100)
    b.line("KAFKA_NETWORK_WRITE", "lkc-1", "4.00")
    b.line("SUPPORT", None, "8.00", env=None)
    b.line("PROMO_CREDIT", None, "-2.00", env=None)
    b.line("AUDIT_LOG_READ", None, "0.48", env=None)
    return b


def rows_of(facts, line_type):
    return facts[facts["line_type"] == line_type]


def test_default_is_unallocated_low_evenly_over_the_day():
    facts = allocate_day(spend_day().build(), AllocationConfig()).facts
    for lt in ("SUPPORT", "PROMO_CREDIT", "AUDIT_LOG_READ"):
        rows = rows_of(facts, lt)
        assert set(rows["principal_id"]) == {"UNALLOCATED"}
        assert set(rows["allocation_method"]) == {"unallocated"}
        assert set(rows["allocation_reason"]) == {"no_resource_on_line"}
        assert set(rows["confidence"]) == {"low"}
        assert len(rows) == 24
        assert rows["resource_id"].isna().all() and rows["resource_type"].isna().all()
    assert rows_of(facts, "PROMO_CREDIT")["amount_units"].sum() == -200_000_000


def test_spread_by_allocated_cost_follows_principal_and_hour():
    config = AllocationConfig(no_resource_rules={"SUPPORT": DistributionRule(spread="allocated_cost"),
                                                 "PROMO_CREDIT": DistributionRule(spread="allocated_cost")})
    facts = allocate_day(spend_day().build(), config).facts
    support = rows_of(facts, "SUPPORT")
    assert totals_by(support, "principal_id") == {"sa-a": 600_000_000, "sa-b": 200_000_000}
    assert {h.hour for h in support["hour"]} == {2, 10}
    assert set(support["allocation_method"]) == {"distribution_rule"}
    assert set(support["allocation_reason"]) == {"spread_by_allocated_cost"}
    assert totals_by(rows_of(facts, "PROMO_CREDIT"), "principal_id") == {"sa-a": -150_000_000,
                                                                        "sa-b": -50_000_000}


def test_spread_by_allocated_cost_with_nothing_allocated_stays_unallocated():
    b = DayBuilder().line("SUPPORT", None, "1.00", env=None)
    config = AllocationConfig(default_no_resource_rule=DistributionRule(spread="allocated_cost"))
    facts = allocate_day(b.build(), config).facts
    assert totals_by(facts, "principal_id", "allocation_reason") == {("UNALLOCATED", "no_resource_on_line"):
                                                                     100_000_000}


def test_spread_even_over_active_principals_of_the_org():
    config = AllocationConfig(no_resource_rules={"AUDIT_LOG_READ": {"spread": "even_active_principals"}})
    facts = allocate_day(spend_day().build(), config).facts
    audit = rows_of(facts, "AUDIT_LOG_READ")
    assert totals_by(audit, "principal_id") == {"sa-a": 24_000_000, "sa-b": 24_000_000}
    assert set(audit["allocation_reason"]) == {"spread_even_active_principals"}
    assert len(audit) == 48


def test_assign_to_a_principal_or_a_team():
    config = AllocationConfig.model_validate({"no_resource_rules": {
        "SUPPORT": {"spread": "principal", "principal_id": "sa-b"},
        "AUDIT_LOG_READ": {"spread": "team", "team": "security", "business_unit": "corp", "cost_center": "CC-1"}}})
    facts = allocate_day(spend_day().build(), config).facts
    assert totals_by(rows_of(facts, "SUPPORT"), "principal_id", "allocation_reason", "confidence") == {
        ("sa-b", "assigned_by_rule", "medium"): 800_000_000}
    audit = rows_of(facts, "AUDIT_LOG_READ")
    assert totals_by(audit, "principal_id", "principal_type", "team", "business_unit", "cost_center") == {
        ("team:security", "team", "security", "corp", "CC-1"): 48_000_000}


def test_org_level_line_types_stay_org_level_even_with_a_resource():
    b = DayBuilder().env("env-1").cluster("lkc-1", name="c-owner-ann").line("PROMO_CREDIT", "lkc-1", "-1.00")
    b.line("AUDIT_LOG_READ", "lkc-auditlog", "0.24", env="env-audit")
    facts = allocate_day(b.build(), AllocationConfig()).facts
    assert totals_by(facts, "line_type", "principal_id", "allocation_reason") == {
        ("PROMO_CREDIT", "UNALLOCATED", "no_resource_on_line"): -100_000_000,
        ("AUDIT_LOG_READ", "UNALLOCATED", "no_resource_on_line"): 24_000_000}
    assert set(facts["resource_id"]) == {"lkc-1", "lkc-auditlog"}   # the resource stays on the facts


def test_org_level_line_type_can_be_routed_to_its_resource_by_configuration():
    b = DayBuilder().env("env-1").cluster("lkc-1", name="c-owner-ann").line("PROMO_CREDIT", "lkc-1", "-1.00")
    facts = allocate_day(b.build(), AllocationConfig(line_type_rules={"PROMO_CREDIT": "fallback"})).facts
    assert totals_by(facts, "principal_id", "allocation_method", "allocation_reason") == {
        ("lkc-1", "resource_owner", "owner_from_name"): -100_000_000}

"""Schema Registry / governance lines: even over key holders, else the environment's owner (medium)."""

from billing_portal.allocation import AllocationConfig, allocate_day
from billing_portal.allocation.testing import DayBuilder, totals_by
from billing_portal.ownership import OwnershipMapping


def test_even_over_principals_holding_schema_registry_keys():
    b = DayBuilder().env("env-1").schema_registry("lsrc-1")
    b.service_account("sa-1").service_account("sa-2")
    b.api_key("S1", "sa-1", "lsrc-1").api_key("S2", "sa-2", "lsrc-1").api_key("S3", "sa-2", "lsrc-1")
    b.line("SCHEMA_REGISTRY", "lsrc-1", "1.00", product="STREAM_GOVERNANCE")
    facts = allocate_day(b.build(), AllocationConfig()).facts
    assert totals_by(facts, "principal_id", "allocation_method", "allocation_reason", "confidence") == {
        ("sa-1", "key_holders_even", "schema_registry_key_holders", "medium"): 50_000_000,
        ("sa-2", "key_holders_even", "schema_registry_key_holders", "medium"): 50_000_000,
    }


def test_governance_billed_on_the_environment_uses_its_registries_key_holders():
    b = DayBuilder().env("env-1").schema_registry("lsrc-1").service_account("sa-1").api_key("S1", "sa-1", "lsrc-1")
    b.line("GOVERNANCE_BASE", "env-1", "0.50")
    facts = allocate_day(b.build(), AllocationConfig()).facts
    assert totals_by(facts, "principal_id") == {"sa-1": 50_000_000}


def test_no_key_holders_goes_to_the_environment_owner_medium():
    b = DayBuilder().env("env-1").schema_registry("lsrc-1")
    b.line("NUM_RULES", "lsrc-1", "1.00")
    mapping = OwnershipMapping.model_validate({"resources": {"env-1": {"owner": "platform@x.com",
                                                                       "team": "platform"}}})
    facts = allocate_day(b.build(mapping), AllocationConfig()).facts
    assert totals_by(facts, "principal_id", "allocation_method", "allocation_reason", "confidence", "team") == {
        ("env-1", "env_owner", "owner_from_mapping", "medium", "platform"): 100_000_000}


def test_no_key_holders_and_no_environment_owner_is_unallocated():
    b = DayBuilder().env("env-1").schema_registry("lsrc-1").line("SCHEMA_REGISTRY", "lsrc-1", "1.00")
    facts = allocate_day(b.build(), AllocationConfig()).facts
    assert totals_by(facts, "principal_id", "allocation_reason") == {("UNALLOCATED", "no_key_holders"): 100_000_000}

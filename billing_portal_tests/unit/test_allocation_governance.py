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


SCHEMAS = {"governance_splits": {"schema_registry": {"split": "schema_owners"}}}


def schema_day() -> DayBuilder:
    b = DayBuilder().env("env-1").schema_registry("lsrc-1").service_account("sa-1").api_key("S1", "sa-1", "lsrc-1")
    b.catalog_entity("lsrc-1:.:100001", "sr_schema", tags=["team_payments", "cost_center_42"])
    b.catalog_entity("lsrc-1:.:100002", "sr_schema", tags=["team_payments"])
    b.catalog_entity("lsrc-1:.:100003", "sr_schema")
    b.catalog_entity("lsrc-1:.:100004", "sr_schema")
    b.catalog_entity("lsrc-1:.:100005", "sr_schema").catalog_tag("lsrc-1:.:100005", "team_risk", "sr_schema")
    return b


def test_schema_owners_split_by_schema_count_the_unowned_share_to_key_holders():
    b = schema_day().line("SCHEMA_REGISTRY", "lsrc-1", "1.00", product="STREAM_GOVERNANCE")
    facts = allocate_day(b.build(), AllocationConfig.model_validate(SCHEMAS)).facts
    assert totals_by(facts, "principal_id", "allocation_method", "allocation_reason", "confidence", "team") == {
        ("team:payments", "resource_owner", "schema_owner_share", "medium", "payments"): 40_000_000,
        ("team:risk", "resource_owner", "schema_owner_share", "medium", "risk"): 20_000_000,
        ("sa-1", "key_holders_even", "schema_registry_key_holders", "medium", "unknown"): 40_000_000}
    # cost center of the first payments schema travels with the payer
    assert set(facts.loc[facts["principal_id"] == "team:payments", "cost_center"]) == {"42"}
    assert len(set(facts["hour"])) == 24


def test_schema_owners_is_opt_in_per_line_type_and_odd_amounts_sum_exactly():
    b = schema_day().line("SCHEMA_REGISTRY", "lsrc-1", "0.00000007", product="STREAM_GOVERNANCE")
    b.line("SCHEMA_REGISTRY", "lsrc-1", "12.34567891", product="STREAM_GOVERNANCE")
    b.line("NUM_RULES", "lsrc-1", "1.00", product="STREAM_GOVERNANCE")
    facts = allocate_day(b.build(), AllocationConfig.model_validate(SCHEMAS)).facts
    assert facts.groupby("line_no")["amount_units"].sum().to_dict() == {0: 7, 1: 1_234_567_891, 2: 100_000_000}
    assert set(facts.loc[facts["line_no"] == 2, "allocation_reason"]) == {"schema_registry_key_holders"}
    default = allocate_day(schema_day().line("SCHEMA_REGISTRY", "lsrc-1", "1.00").build(), AllocationConfig()).facts
    assert set(default["allocation_reason"]) == {"schema_registry_key_holders"}


def test_schema_owners_without_key_holders_leave_the_rest_to_the_ladder_and_env_lines_use_the_env_registry():
    b = DayBuilder().env("env-1").schema_registry("lsrc-1")
    b.catalog_entity("lsrc-1:.:100001", "sr_schema", tags=["team_payments"])
    b.catalog_entity("lsrc-1:.:100002", "sr_schema")
    b.line("GOVERNANCE_BASE", "env-1", "1.00")
    config = AllocationConfig.model_validate({"default_governance_split": {"split": "schema_owners"}})
    facts = allocate_day(b.build(), config).facts
    assert totals_by(facts, "principal_id", "allocation_reason") == {
        ("team:payments", "schema_owner_share"): 50_000_000, ("UNALLOCATED", "no_key_holders"): 50_000_000}


def test_a_registry_without_schemas_keeps_the_key_holder_split():
    b = DayBuilder().env("env-1").schema_registry("lsrc-1").service_account("sa-1").api_key("S1", "sa-1", "lsrc-1")
    b.catalog_entity("lsrc-9:.:100001", "sr_schema", tags=["team_payments"])  # another registry's schema
    b.line("SCHEMA_REGISTRY", "lsrc-1", "1.00")
    facts = allocate_day(b.build(), AllocationConfig.model_validate(SCHEMAS)).facts
    assert totals_by(facts, "principal_id", "allocation_reason") == {
        ("sa-1", "schema_registry_key_holders"): 100_000_000}

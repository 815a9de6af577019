"""Connectors, ksqlDB and Flink: the identity the object names pays (high); else the owner ladder."""

import pandas as pd

from billing_portal.allocation import AllocationConfig, allocate_day
from billing_portal.allocation.testing import DayBuilder, totals_by
from billing_portal.ownership import OwnershipMapping


def test_connector_service_account_pays_capacity_evenly_over_the_day():
    b = DayBuilder().env("env-1").cluster("lkc-1").service_account("sa-c", description="Owner: dana@x.com")
    b.connector("lcc-1", "lkc-1", sa="sa-c")
    b.line("CONNECT_CAPACITY", "lcc-1", "2.40")
    facts = allocate_day(b.build(), AllocationConfig()).facts
    assert totals_by(facts, "principal_id", "allocation_method", "allocation_reason", "confidence") == {
        ("sa-c", "object_owner", "connector_service_account", "high"): 240_000_000}
    assert len(facts) == 24
    assert set(facts["cluster_id"]) == {"lkc-1"} and set(facts["resource_type"]) == {"connector"}
    assert set(facts["owner"]) == {"dana@x.com"}


def test_connector_throughput_follows_its_identity_bytes_on_its_cluster():
    b = DayBuilder().env("env-1").cluster("lkc-1").service_account("sa-c")
    b.connector("lcc-1", "lkc-1", sa="sa-c")
    b.usage("lkc-1", "sa-c", hour=4, request=300).usage("lkc-1", "sa-c", hour=9, response=100)
    b.usage("lkc-1", "sa-other", hour=20, request=10_000)
    b.line("CONNECT_THROUGHPUT", "lcc-1", "4.00")
    facts = allocate_day(b.build(), AllocationConfig()).facts
    assert {h.hour: u for h, u in totals_by(facts, "hour").items()} == {4: 300_000_000, 9: 100_000_000}


def test_connector_with_api_key_auth_pays_through_the_key_owner():
    b = DayBuilder().env("env-1").cluster("lkc-1").user("u-7", "eve@x.com")
    b.api_key("CONNKEY", "u-7", "lkc-1", owner_kind="User")
    b.connector("lcc-2", "lkc-1", api_key="CONNKEY")
    b.line("CONNECT_NUM_TASKS", "lcc-2", "1.00")
    facts = allocate_day(b.build(), AllocationConfig()).facts
    assert totals_by(facts, "principal_id", "allocation_reason", "owner") == {
        ("u-7", "connector_api_key_owner", "eve@x.com"): 100_000_000}


def test_connector_with_masked_key_falls_back_to_its_cluster_principals():
    b = DayBuilder().env("env-1").cluster("lkc-1").service_account("sa-k").api_key("K", "sa-k", "lkc-1")
    b.connector("lcc-3", "lkc-1", api_key="****************")
    b.line("CONNECT_NUM_TASKS", "lcc-3", "1.00")
    facts = allocate_day(b.build(), AllocationConfig()).facts
    assert totals_by(facts, "principal_id", "allocation_method", "allocation_reason", "confidence") == {
        ("sa-k", "even_active_principals", "no_identity_on_object", "low"): 100_000_000}


def test_mapping_for_the_connector_overrides_business_attributes_not_the_principal():
    b = DayBuilder().env("env-1").cluster("lkc-1").service_account("sa-c")
    b.connector("lcc-1", "lkc-1", sa="sa-c")
    b.line("CONNECT_CAPACITY", "lcc-1", "1.00")
    mapping = OwnershipMapping.model_validate({"resources": {"lcc-1": {"team": "ingest", "cost_center": "CC-9"}}})
    facts = allocate_day(b.build(mapping), AllocationConfig()).facts
    assert set(facts["principal_id"]) == {"sa-c"}
    assert set(facts["team"]) == {"ingest"} and set(facts["cost_center"]) == {"CC-9"}


def test_ksqldb_credential_identity_pays():
    b = DayBuilder().env("env-1").cluster("lkc-1").service_account("sa-q")
    b.ksqldb("lksqlc-1", "lkc-1", "sa-q")
    b.line("KSQL_NUM_CSUS", "lksqlc-1", "12.00")
    facts = allocate_day(b.build(), AllocationConfig()).facts
    assert totals_by(facts, "principal_id", "allocation_method", "allocation_reason", "confidence") == {
        ("sa-q", "object_owner", "ksqldb_credential_identity", "high"): 1_200_000_000}
    assert set(facts["cluster_id"]) == {"lkc-1"}


def test_flink_pool_goes_to_its_mapped_owner_principal():
    b = DayBuilder().env("env-1").service_account("sa-f").flink_pool("lfcp-1")
    b.line("FLINK_NUM_CFUS", "lfcp-1", "3.00")
    mapping = OwnershipMapping.model_validate({"resources": {"lfcp-1": {"owner": "sa-f", "team": "analytics"}}})
    facts = allocate_day(b.build(mapping), AllocationConfig()).facts
    assert totals_by(facts, "principal_id", "allocation_method", "allocation_reason", "confidence", "team") == {
        ("sa-f", "resource_owner", "owner_from_mapping", "medium", "analytics"): 300_000_000}
    assert facts["cluster_id"].isna().all()


def test_flink_pool_named_owner_is_resolved_to_a_user_by_email():
    b = DayBuilder().env("env-1").user("u-1", "zoe@x.com").flink_pool("lfcp-1", name="etl-owner-zoe@x.com")
    b.line("FLINK_NUM_CFU", "lfcp-1", "1.00")
    facts = allocate_day(b.build(), AllocationConfig()).facts
    assert totals_by(facts, "principal_id", "allocation_reason") == {("u-1", "owner_from_name"): 100_000_000}


def test_flink_pool_without_owner_is_unallocated_with_reason():
    b = DayBuilder().env("env-1").flink_pool("lfcp-1").line("FLINK_NUM_CFUS", "lfcp-1", "1.00")
    facts = allocate_day(b.build(), AllocationConfig()).facts
    assert totals_by(facts, "principal_id", "allocation_reason") == {
        ("UNALLOCATED", "no_identity_on_object"): 100_000_000}
    assert isinstance(facts["hour"].dtype, pd.DatetimeTZDtype)

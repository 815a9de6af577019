"""resolve_attribution: universe of principals and resources, precedence mapping → catalog → object → names →
owner profile → unknown, and attribution_source."""

import pandas as pd

from billing_portal.allocation.testing import DayBuilder
from billing_portal.ownership import OwnershipMapping, resolve_attribution
from billing_portal.ownership.frames import PRINCIPAL_ATTRIBUTION_COLUMNS, RESOURCE_ATTRIBUTION_COLUMNS


def resolve(b: DayBuilder, mapping: dict | None = None):
    m = OwnershipMapping.model_validate(mapping or {})
    p, r = resolve_attribution(b.objects(), b.catalog(), m, b.usage_frame())
    return p.set_index("principal_id"), r.set_index("resource_id")


def org() -> DayBuilder:
    b = DayBuilder()
    b.env("env-1", "prod-owner-ops@x.com").env("env-2", "sandbox")
    b.cluster("lkc-1", "env-1", "orders").cluster("lkc-2", "env-1", "clicks-owner-carol")
    b.service_account("sa-1", "ingest", "Ingest job. Owner: Alice@X.com").service_account("sa-2", "etl")
    b.service_account("sa-3", "svc-owner-dan")
    b.user("u-1", "bob@x.com", "Bob B")
    b.api_key("K1", "sa-9", "lkc-1")                       # an owner not in the SA list (deleted SA)
    b.connector("lcc-1", "lkc-1", sa="sa-2").ksqldb("lksqlc-1", "lkc-2", "u-1")
    b.flink_pool("lfcp-1", "env-1", "stream-owner-bob@x.com").schema_registry("lsrc-1", "env-1")
    b.usage("lkc-1", "pool-ab", 3, request=1)
    return b


def test_frames_have_the_table_columns():
    p, r = resolve_attribution(org().objects(), None, None, None)
    assert list(p.columns) == list(PRINCIPAL_ATTRIBUTION_COLUMNS)
    assert list(r.columns) == list(RESOURCE_ATTRIBUTION_COLUMNS)


def test_principal_universe():
    p, _ = resolve(org())
    assert set(p.index) == {"sa-1", "sa-2", "sa-3", "sa-9", "u-1", "pool-ab", "UNALLOCATED"}
    assert p.loc["pool-ab", "principal_type"] == "identity_pool"
    assert p.loc["sa-9", "principal_type"] == "service_account"
    assert p.loc["u-1", "display_name"] == "Bob B"
    assert p.loc["UNALLOCATED", "team"] == "unallocated"


def test_resource_universe_and_links():
    _, r = resolve(org())
    assert set(r.index) == {"env-1", "env-2", "lkc-1", "lkc-2", "lcc-1", "lksqlc-1", "lfcp-1", "lsrc-1"}
    assert r.loc["lcc-1", ["resource_type", "env_id", "cluster_id"]].tolist() == ["connector", "env-1", "lkc-1"]
    assert r.loc["lksqlc-1", "cluster_id"] == "lkc-2"
    assert r.loc["lkc-1", "cluster_id"] == "lkc-1"


def test_names_give_owners():
    p, r = resolve(org())
    assert (p.loc["sa-1", "owner"], p.loc["sa-1", "attribution_source"]) == ("alice@x.com", "name")
    assert p.loc["sa-3", "owner"] == "dan"
    assert (p.loc["u-1", "owner"], p.loc["u-1", "attribution_source"]) == ("bob@x.com", "object")
    assert (r.loc["lkc-2", "owner"], r.loc["lkc-2", "attribution_source"]) == ("carol", "name")
    assert r.loc["env-1", "owner"] == "ops@x.com"
    assert (r.loc["lfcp-1", "owner"], r.loc["lfcp-1", "owner_principal_id"]) == ("bob@x.com", "u-1")
    assert (p.loc["sa-2", "owner"], p.loc["sa-2", "attribution_source"]) == ("unknown", "unknown")
    assert (r.loc["env-2", "team"], r.loc["env-2", "attribution_source"]) == ("unknown", "unknown")


def test_objects_pass_their_identity_to_the_resource():
    p, r = resolve(org(), {"principals": {"sa-2": {"owner": "eve@x.com", "team": "etl"}}})
    assert r.loc["lcc-1", ["owner", "owner_principal_id", "team", "attribution_source"]].tolist() == \
        ["eve@x.com", "sa-2", "etl", "object"]
    assert r.loc["lksqlc-1", ["owner", "owner_principal_id"]].tolist() == ["bob@x.com", "u-1"]


def test_mapping_beats_catalog_beats_names_per_attribute():
    b = org()
    b.catalog_entity("lsrc-1:lkc-2", "kafka_logical_cluster", owner_email="cat@x.com",
                     tags=["team_fromcatalog", "bu_catalogbu"])
    _, r = resolve(b, {"resources": {"lkc-2": {"team": "frommapping"}}})
    row = r.loc["lkc-2"]
    assert (row["team"], row["business_unit"], row["owner"]) == ("frommapping", "catalogbu", "cat@x.com")
    assert row["attribution_source"] == "catalog"   # where the owner came from


def test_topic_tags_attach_to_their_cluster():
    b = org().catalog_tag("lsrc-1:lkc-1:orders", "team_payments").catalog_tag("lkc-1", "team_ghost")
    _, r = resolve(b)
    assert (r.loc["lkc-1", "team"], r.loc["lkc-1", "attribution_source"]) == ("payments", "catalog")


def test_owner_profiles_fill_team_and_business_unit():
    b = org()
    b.catalog_entity("lsrc-1:lkc-9:clicks", owner_email="alice@x.com", tags=["team_growth", "bu_marketing"])
    p, _ = resolve(b, {"owners": {"carol": {"team": "web", "cost_center": "CC-7"}}})
    assert p.loc["sa-1", ["owner", "team", "business_unit"]].tolist() == ["alice@x.com", "growth", "marketing"]
    _, r = resolve(b, {"owners": {"carol": {"team": "web", "cost_center": "CC-7"}}})
    assert r.loc["lkc-2", ["owner", "team", "cost_center"]].tolist() == ["carol", "web", "CC-7"]


def test_mapping_owner_profile_beats_catalog_profile():
    b = org().catalog_entity("lsrc-1:lkc-1:t", owner_email="alice@x.com", tags=["team_catalog"])
    p, _ = resolve(b, {"owners": {"alice@x.com": {"team": "mapped"}}})
    assert p.loc["sa-1", "team"] == "mapped"


def test_mapping_resource_principal_and_deleted_resources():
    _, r = resolve(org(), {"resources": {"lkc-1": {"owner": "ops team", "principal_id": "sa-1"},
                                         "lkc-old": {"owner": "sa-3", "team": "legacy"}}})
    assert r.loc["lkc-1", ["owner", "owner_principal_id", "attribution_source"]].tolist() == \
        ["ops team", "sa-1", "mapping"]
    assert r.loc["lkc-old", ["resource_type", "owner_principal_id", "team"]].tolist() == \
        ["kafka_cluster", "sa-3", "legacy"]


def test_mapping_can_give_unallocated_a_team():
    p, _ = resolve(org(), {"principals": {"UNALLOCATED": {"team": "finops"}}})
    assert p.loc["UNALLOCATED", ["team", "business_unit"]].tolist() == ["finops", "unallocated"]


def test_empty_objects():
    p, r = resolve_attribution(DayBuilder().objects(), None, None, pd.DataFrame())
    assert p["principal_id"].tolist() == ["UNALLOCATED"] and r.empty


def test_owners_are_spelt_one_way():
    """`rupert` (a display-name convention) and the user rupert@company.com are one owner; a connector running as a
    service account without an owner has no owner (the account id is not a name) but still pays through it."""
    b = org().user("u-7", "Rupert@Company.com", "Rupert R").service_account("sa-7", "batch-owner-rupert")
    b.cluster("lkc-7", "env-1", "logs-owner-RUPERT")
    p, r = resolve(b, {"owners": {"rupert@company.com": {"team": "logistics"}}})
    assert p.loc["sa-7", ["owner", "team"]].tolist() == ["rupert@company.com", "logistics"]
    assert p.loc["u-7", ["owner", "team"]].tolist() == ["rupert@company.com", "logistics"]
    assert r.loc["lkc-7", ["owner", "owner_principal_id", "team"]].tolist() == \
        ["rupert@company.com", "u-7", "logistics"]
    assert r.loc["lcc-1", ["owner", "owner_principal_id"]].tolist() == ["unknown", "sa-2"]
    assert not any(str(o).startswith(("sa-", "u-", "pool-")) for o in [*p["owner"], *r["owner"]])


def test_an_account_id_as_owner_names_who_pays_and_that_principals_owner():
    _, r = resolve(org(), {"resources": {"lkc-old": {"owner": "sa-3", "team": "legacy"},
                                         "lkc-1": {"owner": "u-1"}}})
    assert r.loc["lkc-old", ["owner", "owner_principal_id"]].tolist() == ["dan", "sa-3"]
    assert r.loc["lkc-1", ["owner", "owner_principal_id"]].tolist() == ["bob@x.com", "u-1"]

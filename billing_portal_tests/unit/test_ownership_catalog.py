"""Stream Governance catalog: qualified names, tag conventions, business metadata, cluster and owner evidence."""

from billing_portal.allocation.testing import DayBuilder
from billing_portal.ownership import OwnershipMapping
from billing_portal.ownership.catalog import (
    catalog_evidence,
    cluster_attributes,
    owner_profiles,
    parse_qualified_name,
    tag_attribute,
)

PREFIXES = OwnershipMapping().tag_conventions.prefixes()


def evidence(b: DayBuilder, mapping: OwnershipMapping | None = None):
    return catalog_evidence(b.catalog(), mapping or OwnershipMapping())


def test_qualified_names():
    assert parse_qualified_name("lsrc-8wrx70:lkc-m80307:orders") == ("lsrc-8wrx70", "lkc-m80307", "orders")
    assert parse_qualified_name("lsrc-8wrx70:lkc-m80307") == ("lsrc-8wrx70", "lkc-m80307", None)
    assert parse_qualified_name("lsrc-8wrx70:lkc-m80307:a:b") == ("lsrc-8wrx70", "lkc-m80307", "a:b")
    assert parse_qualified_name("lkc-m80307") is None                 # bare cluster id never matches
    assert parse_qualified_name("lkc-m80307:orders") is None
    assert parse_qualified_name("lsrc-8wrx70:.:100001") is None       # a schema
    assert parse_qualified_name(None) is None


def test_tag_conventions():
    assert tag_attribute("team_payments", PREFIXES) == ("team", "payments")
    assert tag_attribute("bu_retail", PREFIXES) == ("business_unit", "retail")
    assert tag_attribute("business_unit_retail", PREFIXES) == ("business_unit", "retail")
    assert tag_attribute("cost_center_42", PREFIXES) == ("cost_center", "42")
    assert tag_attribute("product_webshop", PREFIXES) == ("business_product", "webshop")
    assert tag_attribute("Team_Payments", PREFIXES) == ("team", "Payments")
    assert tag_attribute("PII", PREFIXES) is None
    assert tag_attribute("team_", PREFIXES) is None


def test_custom_tag_conventions():
    mapping = OwnershipMapping.model_validate({"tag_conventions": {"team": ["squad-"], "owner": ["owner_"]}})
    b = DayBuilder().catalog_tag("lsrc-1:lkc-1", "squad-rocket", "kafka_logical_cluster")
    b.catalog_tag("lsrc-1:lkc-1", "owner_Bob", "kafka_logical_cluster").catalog_tag("lsrc-1:lkc-1", "team_old")
    assert cluster_attributes(evidence(b, mapping)) == {"lkc-1": {"team": "rocket", "owner": "bob"}}


def test_cluster_level_evidence_beats_topic_majority():
    b = DayBuilder()
    b.catalog_entity("lsrc-1:lkc-1", "kafka_logical_cluster", tags=["team_platform"])
    for topic in ("a", "b", "c"):
        b.catalog_tag(f"lsrc-1:lkc-1:{topic}", "team_payments")
    b.catalog_tag("lsrc-1:lkc-1:a", "bu_retail")
    assert cluster_attributes(evidence(b)) == {"lkc-1": {"team": "platform", "business_unit": "retail"}}


def test_topic_majority_attaches_to_the_cluster_and_bare_ids_do_not():
    b = DayBuilder()
    b.catalog_tag("lsrc-1:lkc-1:a", "team_payments").catalog_tag("lsrc-1:lkc-1:b", "team_payments")
    b.catalog_tag("lsrc-1:lkc-1:c", "team_search")
    b.catalog_tag("lkc-2", "team_ghost", "kafka_logical_cluster")          # bare id: ignored
    b.catalog_tag("lkc-2:orders", "team_ghost")                          # no lsrc: ignored
    assert cluster_attributes(evidence(b)) == {"lkc-1": {"team": "payments"}}


def test_business_metadata_beats_tags_beats_entity_owner():
    b = DayBuilder()
    b.catalog_entity("lsrc-1:lkc-1", "kafka_logical_cluster", owner="team-a", owner_email="A@x.com",
                     tags=["team_from_tag", "cost_center_7"])
    b.business_metadata("lsrc-1:lkc-1", {"team": "from_bm", "business_product": "webshop", "owner": "Boss@x.com",
                                         "irrelevant": "x"}, "kafka_logical_cluster")
    assert cluster_attributes(evidence(b)) == {"lkc-1": {"team": "from_bm", "business_product": "webshop",
                                                         "owner": "boss@x.com", "cost_center": "7"}}


def test_entity_owner_email_preferred_over_owner_name():
    b = DayBuilder().catalog_entity("lsrc-1:lkc-1:t", owner="team-a", owner_email="a@x.com")
    assert cluster_attributes(evidence(b)) == {"lkc-1": {"owner": "a@x.com"}}


def test_owner_profiles_learn_team_from_entities_naming_the_owner():
    b = DayBuilder()
    b.catalog_entity("lsrc-1:lkc-1:orders", owner_email="alice@x.com", tags=["team_payments", "bu_retail"])
    b.catalog_entity("lsrc-1:lkc-1:refunds", owner_email="alice@x.com", tags=["team_payments"])
    b.catalog_entity("lsrc-1:lkc-2:clicks", owner_email="alice@x.com", tags=["team_growth"])
    b.catalog_entity("lsrc-1:.:100001", owner="bob", tags=["cost_center_9"])   # schemas teach owners too
    assert owner_profiles(evidence(b)) == {"alice@x.com": {"team": "payments", "business_unit": "retail"},
                                           "bob": {"cost_center": "9"}}


def test_attributes_as_json_text_and_classifications_as_pg_array_text():
    import pandas as pd

    from billing_portal.ownership import CatalogData

    cat = CatalogData(
        entities=pd.DataFrame({"qualified_name": ["lsrc-1:lkc-1"], "classification_names": ["{team_x,PII}"],
                               "entity_type": ["kafka_logical_cluster"]}),
        business_metadata=pd.DataFrame({"qualified_name": ["lsrc-1:lkc-1"], "bm_type": ["c"],
                                        "attributes": ['{"cost_center": "CC-1"}'], "entity_type": ["x"]}))
    assert cluster_attributes(catalog_evidence(cat, OwnershipMapping())) == {"lkc-1": {"team": "x",
                                                                                        "cost_center": "CC-1"}}

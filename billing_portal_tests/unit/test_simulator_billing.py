"""The day's bill: the amount rule, consistency with metrics, every product and every special row."""

from datetime import date
from decimal import Decimal

import pytest

from billing_portal.simulator import build_model
from billing_portal.simulator import pricing as P

DAY = date(2024, 6, 1)


@pytest.fixture(scope="module")
def model():
    return build_model(42, "small")


@pytest.fixture(scope="module")
def live(model):
    return model.bill(DAY)


@pytest.fixture(scope="module")
def spec(model):
    return model.bill(DAY, flavor="spec")


def dec(x):
    return Decimal(repr(x))


def test_json_doubles_carry_the_exact_decimals(live, spec):
    for bill in (live, spec):
        for line in bill.lines:
            row = line.row
            assert dec(row["amount"]) == line.amount
            assert dec(row["original_amount"]) == line.original_amount
            assert dec(row["discount_amount"]) == line.discount_amount
            if "quantity" in row:
                assert dec(row["quantity"]) == line.quantity
            if "price" in row:
                assert dec(row["price"]) == line.price


def test_amount_rule(spec):
    for line in spec.lines:
        assert line.amount == line.original_amount - line.discount_amount
        if line.price is not None and line.quantity is not None:
            assert line.original_amount == P.round8(line.quantity * line.price)
            assert line.discount_amount == P.round8(line.original_amount * P.discount_rate(line.line_type))
    cku = [x for x in spec.lines if x.line_type == "KAFKA_NUM_CKUS"]
    assert cku and all(x.discount_amount > 0 for x in cku)


def test_network_lines_equal_metric_totals(model, live):
    usage = model.usage(DAY)
    checked = 0
    for ci, cluster in enumerate(model.kafka_clusters):
        for line_type, total in (("KAFKA_NETWORK_WRITE", usage.cluster_request_total[ci]),
                                 ("KAFKA_NETWORK_READ", usage.cluster_response_total[ci])):
            lines = live.lines_for(cluster.id, line_type)
            if total == 0:
                assert lines == []
                continue
            # GB of 2^30 bytes, to 9 decimals (the tiers of one line split that quantity exactly)
            assert sum(dec(x.row["quantity"]) for x in lines) == (Decimal(int(total)) / Decimal(2**30)).quantize(
                Decimal("1e-9"))
            for x in lines:
                assert x.discount_amount == 0
                assert dec(x.row["amount"]) == P.round8(dec(x.row["quantity"]) * dec(x.row["price"]))
            checked += 1
    assert checked >= 2 * (len(model.kafka_clusters) - 1)


def test_storage_lines_equal_retained_bytes(model, live):
    usage = model.usage(DAY)
    for ci, cluster in enumerate(model.kafka_clusters):
        (line,) = live.lines_for(cluster.id, "KAFKA_STORAGE")
        expected = P.round6(Decimal(int(usage.topic_retained[model.topic_profile.cluster == ci].sum())) / P.GB)
        assert line.quantity == expected


def test_every_product_is_billed(live):
    products = {x.product for x in live.lines}
    assert products >= {"KAFKA", "CONNECT", "KSQL", "FLINK", "STREAM_GOVERNANCE", "CLUSTER_LINK", "AUDIT_LOG",
                        "SUPPORT_CLOUD_BUSINESS", "PROMO_CREDIT", "TABLEFLOW", "NEW_PRODUCT_X"}
    line_types = {x.line_type for x in live.lines}
    # eCKU billing (the default: an org created after 2024-04-16): no base or partition charges
    assert not line_types & {"KAFKA_BASE", "KAFKA_PARTITION"}
    assert line_types >= {"KAFKA_NUM_CKUS", "KAFKA_STORAGE", "KAFKA_NETWORK_READ",
                          "KAFKA_NETWORK_WRITE", "KAFKA_REST_PRODUCE", "CONNECT_CAPACITY", "CONNECT_NUM_TASKS",
                          "CONNECT_THROUGHPUT", "FLINK_NUM_CFUS", "SCHEMA_REGISTRY", "GOVERNANCE_BASE",
                          "CLUSTER_LINKING_PER_LINK", "AUDIT_LOG_READ", "SUPPORT", "PROMO_CREDIT", "SOMETHING_NEW"}


def test_live_quirks(live, model):
    types = {x.line_type for x in live.lines}
    assert {"KAFKA_NUM_CKUS", "KAFKA_NUM_CKU", "KSQL_NUM_CSUS", "KSQL_NUM_CSU"} <= types
    assert all(x.row["api_version"] == "v1" for x in live.lines)
    support = next(x.row for x in live.lines if x.line_type == "SUPPORT")
    assert support["resource"] is None
    assert not {"price", "unit", "quantity"} & set(support)
    legacy = model.bill(DAY, billing_model="legacy")
    partition_missing = [x.row for x in legacy.lines if x.line_type == "KAFKA_PARTITION" and "price" not in x.row]
    assert partition_missing and "unit" not in partition_missing[0] and "quantity" in partition_missing[0]


def test_ecku_and_legacy_billing_models(model):
    ecku, legacy = (model.bill(DAY, billing_model=m) for m in ("ecku", "legacy"))
    eckus = [x for x in ecku.lines if x.line_type == "KAFKA_NUM_CKUS" and x.row.get("unit") == "eCKU-hour"]
    non_dedicated = {c.id for c in model.kafka_clusters if c.kind != "Dedicated"}
    assert {x.resource_id for x in eckus} == non_dedicated
    assert {x.line_type for x in legacy.lines} >= {"KAFKA_BASE", "KAFKA_PARTITION"}
    assert not [x for x in legacy.lines if x.row.get("unit") == "eCKU-hour"]


def test_spec_flavor_is_complete(spec):
    assert all(x.row["api_version"] == "billing/v1" for x in spec.lines)
    types = {x.line_type for x in spec.lines}
    assert "KAFKA_NUM_CKU" not in types and "KSQL_NUM_CSU" not in types
    for x in spec.lines:
        if x.line_type != "PROMO_CREDIT":
            assert {"price", "unit", "quantity"} <= set(x.row), x.row


def test_special_rows(live):
    promo = next(x for x in live.lines if x.line_type == "PROMO_CREDIT")
    assert promo.amount < 0 and promo.row["description"] and "resource" not in promo.row
    audit = next(x.row for x in live.lines if x.product == "AUDIT_LOG")
    assert audit["resource"]["environment"] is None
    rows = [x.row for x in live.lines]
    assert all(r["granularity"] == "DAILY" and r["start_date"] == "2024-06-01" and r["end_date"] == "2024-06-02"
               for r in rows)
    assert any(x.amount != x.amount.to_integral_value() for x in live.lines)


def test_tier_split_rows(live):
    groups = {}
    for x in live.lines:
        groups.setdefault((x.resource_id, x.product, x.line_type), []).append(x.row)
    split = [rows for rows in groups.values() if len(rows) > 1]
    assert split, "at least one (day, resource, product, line_type) comes as several tier rows"
    for rows in split:
        assert len({r["id"] for r in rows}) == 1
        assert len({r["price"] for r in rows}) == len(rows)
        assert len({tuple(sorted(r["tier_dimensions"].items())) for r in rows}) == len(rows)


def test_restated_variant_changes_the_bill_but_not_the_metered_lines(model, live):
    restated = model.bill(DAY, variant=1)
    assert restated.total != live.total
    metered = ("KAFKA_NETWORK_READ", "KAFKA_NETWORK_WRITE", "KAFKA_STORAGE")
    assert [x.row for x in restated.lines if x.line_type in metered] == \
           [x.row for x in live.lines if x.line_type in metered]
    assert model.bill(DAY, variant=1) is restated  # cached


def test_unknown_flavor_is_refused(model):
    with pytest.raises(ValueError, match="flavor"):
        model.bill(DAY, flavor="beta")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_special_rows_exist_for_other_seeds(seed):
    bill = build_model(seed, "small").bill(DAY)
    types = {x.line_type for x in bill.lines}
    assert {"KAFKA_NUM_CKUS", "KAFKA_NUM_CKU", "KSQL_NUM_CSU", "PROMO_CREDIT", "SUPPORT", "SOMETHING_NEW"} <= types
    keys = [(x.resource_id, x.line_type) for x in bill.lines]
    assert len(set(keys)) < len(keys)  # tier-split rows

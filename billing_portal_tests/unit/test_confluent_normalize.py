"""Billing normalisation without HTTP: columns, money, de-duplication, line numbering, tolerance, quarantine."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import random
from decimal import Decimal

import pytest

from billing_portal.confluent.normalize import (
    LINE_COLUMNS,
    QUARANTINE_COLUMNS,
    canonical_json,
    normalize_costs,
)
from billing_portal_tests.confluent_fixtures import load

D1, D2, D3 = dt.date(2024, 5, 1), dt.date(2024, 5, 2), dt.date(2024, 5, 3)
WAREHOUSE_BILLING_COLUMNS = [
    "usage_date", "line_no", "line_hash", "source_id", "org_id", "env_id", "resource_id", "resource_name", "product",
    "line_type", "network_access_type", "granularity", "price", "unit", "quantity", "original_amount",
    "discount_amount", "amount", "description", "tier_dimensions", "raw",
]


def _row(**fields):
    base = {"id": "c", "start_date": "2024-05-01", "end_date": "2024-05-02", "granularity": "DAILY",
            "product": "KAFKA", "line_type": "KAFKA_BASE", "amount": 1.0}
    base.update(fields)
    return {k: v for k, v in base.items() if v is not ...}


def test_columns_are_the_billing_costs_table_minus_org_id_plus_amount_units():
    batch = normalize_costs(load("cost_rows.json"), D1, D3)
    assert list(batch.lines.columns) == LINE_COLUMNS
    assert LINE_COLUMNS == [c for c in WAREHOUSE_BILLING_COLUMNS if c != "org_id"] + ["amount_units"]
    assert list(batch.quarantine.columns) == QUARANTINE_COLUMNS
    assert str(batch.lines["amount_units"].dtype) == "int64"
    assert str(batch.lines["line_no"].dtype) == "int64"


def test_reference_rows_all_become_lines_with_exact_money():
    rows = load("cost_rows.json")
    batch = normalize_costs(rows, D1, D3)
    assert len(batch.lines) == len(rows) and batch.duplicates == 0 and batch.quarantine.empty
    by_id = {}
    for rec in batch.lines.to_dict("records"):
        by_id.setdefault(rec["source_id"], []).append(rec)
    cku = by_id["cost-1"][0]
    assert cku["usage_date"] == D1
    assert cku["amount"] == Decimal("64.80000000") and isinstance(cku["amount"], Decimal)
    assert cku["original_amount"] == Decimal("72") and cku["discount_amount"] == Decimal("7.2")
    assert cku["amount_units"] == 6_480_000_000
    assert cku["price"] == Decimal("1.5") and cku["quantity"] == Decimal("48") and cku["unit"] == "CKU-hour"
    assert (cku["env_id"], cku["resource_id"], cku["resource_name"]) == ("env-a1", "lkc-m80307", "orders-prod")
    assert json.loads(cku["tier_dimensions"]) == {"provider": "aws", "region": "us-east-1"}
    assert json.loads(cku["raw"]) == rows[0]
    assert cku["line_hash"] == hashlib.sha1(canonical_json(rows[0]).encode()).hexdigest()
    assert by_id["cost-3"][0]["product"] == "SUPPORT_CLOUD_BUSINESS"
    assert batch.lines.loc[batch.lines["source_id"] == "cost-3", "resource_id"].isna().all()
    assert batch.lines.loc[batch.lines["source_id"] == "cost-5", "env_id"].isna().all()
    promo = by_id["cost-4"][0]
    assert promo["amount"] == Decimal("-10") and promo["amount_units"] == -1_000_000_000
    assert promo["description"] == "Promo code CC100KTS"
    unknown = by_id["cost-6"][0]
    assert (unknown["product"], unknown["line_type"]) == ("QUANTUM_STREAMS", "QUANTUM_ENTANGLEMENT_HOURS")
    assert batch.stats["lines_amount"] == sum((r["amount"] for r in batch.lines.to_dict("records")), Decimal(0))


def test_tiered_rows_for_the_same_resource_and_line_type_stay_separate():
    batch = normalize_costs(load("cost_rows.json"), D1, D3)
    tiers = batch.lines[batch.lines["line_type"] == "KAFKA_NETWORK_WRITE"]
    assert len(tiers) == 2
    assert set(tiers["tier_dimensions"]) == {'{"tier":"1"}', '{"tier":"2"}'}
    assert tiers["line_hash"].nunique() == 2
    assert sum(tiers["amount"], Decimal(0)) == Decimal("3.525")


def test_identical_rows_are_one_line_and_counted_as_duplicates():
    rows = load("cost_rows.json")
    repeated = rows + [copy.deepcopy(rows[0]), copy.deepcopy(rows[2]), copy.deepcopy(rows[0])]
    # same content with keys in another order is the same row (canonical JSON)
    repeated.append(dict(reversed(list(rows[3].items()))))
    batch = normalize_costs(repeated, D1, D3)
    assert batch.duplicates == 4
    assert len(batch.lines) == len(rows)
    assert batch.stats["rows_received"] == len(repeated)
    assert batch.stats["rows_received"] == batch.stats["lines"] + batch.duplicates + batch.stats["quarantined"]


def test_rows_differing_in_any_field_are_distinct_lines():
    a = _row(amount=1.0, price=0.1)
    b = _row(amount=1.0, price=0.2)
    batch = normalize_costs([a, b], D1, D2)
    assert len(batch.lines) == 2 and batch.duplicates == 0


def test_line_numbers_are_deterministic_whatever_the_page_order():
    rows = load("cost_rows.json") + [_row(resource={"id": f"lkc-{i}"}, amount=i) for i in range(20)]
    reference = normalize_costs(rows, D1, D3).lines[["usage_date", "line_no", "line_hash"]]
    rng = random.Random(7)
    for _ in range(5):
        shuffled = rows[:]
        rng.shuffle(shuffled)
        got = normalize_costs(shuffled, D1, D3).lines[["usage_date", "line_no", "line_hash"]]
        assert got.equals(reference)
    for _day, group in reference.groupby("usage_date"):
        assert sorted(group["line_no"]) == list(range(len(group)))


def test_line_order_is_product_line_type_resource_then_hash():
    rows = [_row(product="KAFKA", line_type="KAFKA_STORAGE", resource={"id": "lkc-b"}),
            _row(product="CONNECT", line_type="CONNECT_NUM_TASKS", resource={"id": "lcc-1"}),
            _row(product="KAFKA", line_type="KAFKA_BASE", resource={"id": "lkc-z"}),
            _row(product="KAFKA", line_type="KAFKA_STORAGE", resource={"id": "lkc-a"})]
    lines = normalize_costs(rows, D1, D2).lines
    assert list(zip(lines["product"], lines["line_type"], lines["resource_id"], strict=True)) == [
        ("CONNECT", "CONNECT_NUM_TASKS", "lcc-1"), ("KAFKA", "KAFKA_BASE", "lkc-z"),
        ("KAFKA", "KAFKA_STORAGE", "lkc-a"), ("KAFKA", "KAFKA_STORAGE", "lkc-b")]
    assert list(lines["line_no"]) == [0, 1, 2, 3]


def test_missing_price_unit_quantity_are_null_and_counted():
    batch = normalize_costs([_row(price=..., unit=..., quantity=...)], D1, D2)
    rec = batch.lines.iloc[0]
    assert rec["price"] is None and rec["quantity"] is None and batch.lines["unit"].isna().all()
    assert batch.stats["missing_price"] == 1 and batch.stats["missing_quantity"] == 1
    assert batch.stats["missing_unit"] == 1


def test_amount_breakdown_is_derived_when_possible_and_never_invented():
    batch = normalize_costs(load("cost_rows.json"), D1, D3)
    recs = {r["source_id"]: r for r in batch.lines.to_dict("records")}
    assert recs["cost-6"]["discount_amount"] == Decimal("0")       # original 2.4, amount 2.4
    assert recs["cost-7"]["original_amount"] == Decimal("72.0")    # amount 64.8 + discount 7.2
    assert recs["cost-5"]["original_amount"] is None and recs["cost-5"]["discount_amount"] is None
    assert batch.stats["derived_discount_amount"] == 1
    assert batch.stats["derived_original_amount"] == 1
    assert batch.stats["missing_amount_breakdown"] == 1


def test_amounts_parse_from_the_json_number_text_and_round_half_even():
    batch = normalize_costs([_row(amount=0.1 + 0.2, id="a"), _row(amount="12.345678905", id="b"),
                             _row(amount=1e-9, id="c")], D1, D2)
    recs = {r["source_id"]: r for r in batch.lines.to_dict("records")}
    assert recs["a"]["amount"] == Decimal("0.30000000")
    assert recs["b"]["amount"] == Decimal("12.34567890")
    assert recs["c"]["amount"] == Decimal("0E-8")
    assert recs["b"]["amount_units"] == 1_234_567_890


def test_price_keeps_twelve_places():
    batch = normalize_costs([_row(price=0.000000123456, quantity=1)], D1, D2)
    assert batch.lines.iloc[0]["price"] == Decimal("0.000000123456")


@pytest.mark.parametrize(("row", "code", "day", "amount"), [
    ("not a row", "not_an_object", D1, None),
    (_row(start_date=...), "missing_start_date", D1, Decimal("1")),
    (_row(start_date="05/02/2024"), "invalid_start_date", D1, Decimal("1")),
    (_row(start_date="2024-04-30"), "outside_window", D1, Decimal("1")),
    (_row(start_date="2024-05-03"), "outside_window", D1, Decimal("1")),
    (_row(start_date="2024-05-02", product=...), "missing_product", D2, Decimal("1")),
    (_row(line_type=None), "missing_line_type", D1, Decimal("1")),
    (_row(start_date="2024-05-02", amount=...), "missing_amount", D2, None),
    (_row(amount="n/a"), "invalid_amount", D1, None),
])
def test_unusable_rows_are_quarantined_with_a_reason(row, code, day, amount):
    batch = normalize_costs([row, _row(id="good")], D1, D3)
    assert len(batch.lines) == 1
    q = batch.quarantine.to_dict("records")
    assert len(q) == 1
    assert q[0]["source"] == "billing"
    assert q[0]["reason"].startswith(code + ": ")
    assert q[0]["usage_date"] == day
    assert q[0]["amount"] == amount
    assert isinstance(q[0]["raw"], str) and q[0]["raw"]
    assert batch.stats["quarantine_reasons"] == {code: 1}
    assert batch.stats["quarantined_amount"] == (amount or Decimal(0))
    assert batch.stats["rows_received"] == 2 == batch.stats["lines"] + batch.stats["quarantined"]


def test_start_date_as_rfc3339_timestamp_is_read():
    batch = normalize_costs([_row(start_date="2024-05-01T00:00:00Z")], D1, D2)
    assert batch.lines.iloc[0]["usage_date"] == D1


def test_resource_environment_shapes_are_tolerated():
    rows = [_row(id="a", resource={"id": "lkc-1", "environment": "env-x"}),
            _row(id="b", resource="lkc-2"),
            _row(id="c", resource={"id": "lkc-3", "display_name": None, "environment": {"id": None}})]
    recs = {r["source_id"]: r for r in normalize_costs(rows, D1, D2).lines.to_dict("records")}
    assert recs["a"]["env_id"] == "env-x"
    assert recs["b"]["resource_id"] == "lkc-2"
    assert recs["c"]["resource_id"] == "lkc-3"


def test_empty_input_gives_empty_frames_with_the_columns():
    batch = normalize_costs([], D1, D2)
    assert batch.lines.empty and list(batch.lines.columns) == LINE_COLUMNS
    assert batch.quarantine.empty and list(batch.quarantine.columns) == QUARANTINE_COLUMNS
    assert batch.stats["rows_received"] == 0 and batch.duplicates == 0


def test_empty_window_is_refused():
    with pytest.raises(ValueError, match="empty billing window"):
        normalize_costs([], D2, D1)

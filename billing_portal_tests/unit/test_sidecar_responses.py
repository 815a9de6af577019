"""Answers are written by the schemas that document them (responses.renderer): exactly the documented fields, in
the schema's order, each encoded as its field says."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billing_portal.sidecar.responses import (
    ConfidenceRow,
    Health,
    Reconciliation,
    ReconciliationRow,
    ReconciliationTotals,
    Summary,
    field_names,
    renderer,
)

DAY = dt.date(2024, 1, 10)
HOUR = dt.datetime(2024, 1, 10, 5, tzinfo=dt.timezone(dt.timedelta(hours=1)))


def test_a_row_is_its_schemas_fields_in_order_each_encoded_as_documented():
    row = {n: Decimal("1.5") for n in field_names(ConfidenceRow)}
    row.update(usage_date=DAY, scope_type="team", scope_value="payments", credits_usd=None,
               high_share=Decimal(1) / 3, coverage_ratio=None, undocumented="never answered")
    out = renderer(ConfidenceRow)(row)
    assert list(out) == list(field_names(ConfidenceRow))
    assert out["usage_date"] == "2024-01-10" and out["total_usd"] == "1.50000000"
    assert out["credits_usd"] is None                      # a nullable amount stays null
    assert out["high_share"] == 0.333333 and out["coverage_ratio"] is None and out["unallocated_share"] == 1.5


def test_required_fields_are_always_answered_optional_ones_only_when_given():
    with pytest.raises(KeyError):
        renderer(Health)({})
    row = {"usage_date": DAY, "scope_type": "total", "scope_value": "all",
           **{n: None for n in field_names(ConfidenceRow) if ConfidenceRow._declared_fields[n].required}}
    out = renderer(ConfidenceRow)(row)
    assert out["total_usd"] == "0.00000000"               # a required amount is never null
    assert set(out) == {n for n, f in ConfidenceRow._declared_fields.items() if f.required}


def test_nested_schemas_render_their_rows_even_as_they_are_made():
    rows = ({"period_start": HOUR, "period_end": None, "group": {"team": "a"}, "amount_usd": Decimal("-2")}
            for _ in range(2))
    out = renderer(Summary)({"from_ts": HOUR, "to_ts": HOUR, "granularity": "hour", "group_by": ["team"],
                             "data": rows, "total_usd": Decimal("-4")})
    assert out["from_ts"] == "2024-01-10T04:00:00Z" and out["total_usd"] == "-4.00000000"
    assert out["data"] == [{"period_start": "2024-01-10T04:00:00Z", "period_end": None, "group": {"team": "a"},
                            "amount_usd": "-2.00000000"}] * 2


def test_reconciliation_totals_are_the_sums_of_a_rows_amounts_and_counts():
    assert set(field_names(ReconciliationTotals)) == set(field_names(ReconciliationRow)) - {"usage_date", "balanced"}
    row = {n: 1 for n in field_names(ReconciliationRow)} | {"usage_date": DAY, "balanced": True}
    out = renderer(Reconciliation)({"from_ts": HOUR, "to_ts": HOUR, "start": DAY, "end": DAY, "data": [row],
                                    "totals": row})
    assert out["data"][0]["balanced"] is True and out["data"][0]["bill_lines"] == 1
    assert out["totals"] == {n: "1.00000000" if n.endswith("_usd") else 1 for n in field_names(ReconciliationTotals)}


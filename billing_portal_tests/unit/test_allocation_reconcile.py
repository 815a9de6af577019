"""reconcile: differences per line, per resource × line type and per day."""

import datetime as dt
from decimal import Decimal

import pandas as pd

from billing_portal.allocation import AllocationConfig, allocate_day, reconcile
from billing_portal.allocation.testing import DayBuilder


def day():
    b = DayBuilder().env("env-1").cluster("lkc-1").service_account("sa-a").usage("lkc-1", "sa-a", 1, request=10)
    b.line("KAFKA_NETWORK_WRITE", "lkc-1", "3.00").line("KAFKA_NETWORK_WRITE", "lkc-1", "0.50")
    b.line("SUPPORT", None, "1.00", env=None)
    return b


def test_allocated_facts_reconcile():
    b = day()
    rec = reconcile(b.lines_frame(), allocate_day(b.build(), AllocationConfig()).facts)
    assert rec.ok
    assert rec.by_day["billed_units"].tolist() == [450_000_000]
    assert len(rec.by_resource_line_type) == 2
    assert rec.as_dict()["difference_usd"] == "0.00000000"


def test_differences_are_reported_per_level():
    b = day()
    facts = allocate_day(b.build(), AllocationConfig()).facts
    first_line0 = facts.index[facts["line_no"] == 0][0]
    facts.loc[first_line0, "amount_units"] += 1          # a fraction of a cent too much on line 0
    facts = facts[facts["line_type"] != "SUPPORT"]       # a line lost
    rec = reconcile(b.lines_frame(), facts)
    assert not rec.ok
    assert rec.differences[["line_no", "difference_units"]].values.tolist() == [[0, 1], [2, -100_000_000]]
    by_rlt = rec.by_resource_line_type.set_index(["resource_id", "line_type"])["difference_units"]
    assert by_rlt[("lkc-1", "KAFKA_NETWORK_WRITE")] == 1
    assert by_rlt[(None, "SUPPORT")] == -100_000_000
    assert rec.by_day["difference_units"].tolist() == [-99_999_999]
    assert rec.as_dict()["mismatched_lines"] == 2


def test_lines_with_decimal_amounts_only():
    lines = pd.DataFrame({"usage_date": [dt.date(2024, 5, 1)], "line_no": [0], "resource_id": [None],
                          "line_type": ["SUPPORT"], "amount": [Decimal("1.25")]})
    facts = pd.DataFrame({"usage_date": [dt.date(2024, 5, 1)] * 2, "line_no": [0, 0], "resource_id": [None, None],
                          "line_type": ["SUPPORT"] * 2, "amount_units": [100_000_000, 25_000_000]})
    assert reconcile(lines, facts).ok


def test_facts_of_an_unknown_line_are_a_difference():
    lines = pd.DataFrame({"line_no": [0], "resource_id": ["x"], "line_type": ["T"], "amount_units": [5]})
    facts = pd.DataFrame({"line_no": [0, 7], "resource_id": ["x", "y"], "line_type": ["T", "T"],
                          "amount_units": [5, 3]})
    rec = reconcile(lines, facts)
    assert not rec.ok and rec.differences["line_no"].tolist() == [7]

"""Fault specs and the fault registry."""

from datetime import date

import pytest

from billing_portal.simulator.faults import BILLING_PATH, FaultSet, FaultSpecError, parse_fault


def test_defaults_per_kind():
    f = parse_fault("429")
    assert (f.kind, f.path, f.count, f.skip, f.params) == ("429", "/", 1, 0, {"retry_after": 1})
    assert parse_fault("5xx").params["status"] == 503
    assert parse_fault("503").params["status"] == 503 and parse_fault("502").kind == "5xx"
    assert parse_fault("bad-rows").path == BILLING_PATH and parse_fault("bad-rows").count is None
    assert parse_fault("duplicate-row").count == 1
    assert parse_fault("token-expiry").count is None
    assert parse_fault("timeout").kind == "slow"


def test_parameters_are_typed():
    f = parse_fault("429:path=/billing,count=3,retry_after=2,skip=1")
    assert (f.path, f.count, f.skip, f.params["retry_after"]) == ("/billing", 3, 1, 2)
    r = parse_fault("restate:day=2024-05-01,variant=2")
    assert r.params == {"day": date(2024, 5, 1), "variant": 2}
    assert parse_fault("slow:seconds=0.5,count=*").count is None
    assert parse_fault("token-expiry:after=1.5,status=410").params == {"after": 1.5, "status": 410}


@pytest.mark.parametrize("spec, message", [
    ("explode", "unknown fault kind"),
    ("429:retry", "expected key=value"),
    ("429:colour=red", "has no parameter 'colour'"),
    ("429:count=0", "bad value for 'count'"),
    ("429:path=billing", "bad value for 'path'"),
    ("5xx:status=404", "between 500 and 599"),
    ("token-expiry:status=500", "400 or 410"),
    ("restate", "needs day="),
    ("restate:day=2024-13-01", "bad value for 'day'"),
    ("truncate:fraction=1.5", "fraction"),
])
def test_bad_specs_are_explained(spec, message):
    with pytest.raises(FaultSpecError, match=message):
        parse_fault(spec)


def test_take_honours_path_count_and_skip():
    faults = FaultSet(["5xx:path=/billing,count=2,skip=1"])
    assert faults.take(("5xx",), "/org/v2/environments") is None
    assert faults.take(("5xx",), "/billing/v1/costs") is None  # skipped
    assert faults.take(("5xx",), "/billing/v1/costs").kind == "5xx"
    assert faults.take(("5xx",), "/billing/v1/costs") is not None
    assert faults.take(("5xx",), "/billing/v1/costs") is None  # spent
    assert faults.active() == []


def test_first_added_applies_first_and_kinds_filter():
    faults = FaultSet()
    a = faults.add("429:path=/")
    b = faults.add("reset:path=/")
    assert faults.take(("reset",), "/x") is b
    assert faults.take(("429", "reset"), "/x") is a
    assert faults.take(("429", "reset"), "/x") is None


def test_data_faults_persist_until_removed():
    faults = FaultSet()
    f = faults.add("restate:day=2024-05-01,variant=3")
    assert faults.restate_variant(date(2024, 5, 1)) == 3
    assert faults.restate_variant(date(2024, 5, 1)) == 3
    assert faults.restate_variant(date(2024, 5, 2)) == 0
    assert faults.remove(f) and faults.restate_variant(date(2024, 5, 1)) == 0
    faults.add("bad-rows")
    assert len(faults.matching("bad-rows", BILLING_PATH)) == 1
    faults.clear()
    assert len(faults) == 0


def test_as_dict_is_json_friendly():
    d = parse_fault("restate:day=2024-05-01", 4).as_dict()
    assert d == {"id": 4, "kind": "restate", "path": BILLING_PATH, "remaining": None, "skip": 0,
                 "params": {"variant": 1, "day": "2024-05-01"}, "spec": "restate:day=2024-05-01", "triggered": 0}

"""Monthly budgets per business unit (BILLING_PORTAL_BUDGETS_FILE) for the ccloud_budget_usd gauge."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from billing_portal.config import load_settings
from billing_portal.errors import ConfigError
from billing_portal.sidecar.exporter import load_budgets

REPO = Path(__file__).resolve().parents[2]


def test_the_example_file_loads_as_decimals():
    budgets = load_budgets(REPO / "prometheus" / "budgets.example.yml")
    assert budgets["finance"] == Decimal("2500.00")
    assert all(isinstance(v, Decimal) and v >= 0 for v in budgets.values())


def test_no_file_configured_means_no_budgets():
    assert load_budgets(None) == {} == load_budgets("")
    assert load_settings({}).BILLING_PORTAL_BUDGETS_FILE is None
    assert load_settings({"BILLING_PORTAL_BUDGETS_FILE": ""}).BILLING_PORTAL_BUDGETS_FILE is None
    assert load_settings({"BILLING_PORTAL_BUDGETS_FILE": "/etc/b.yml"}).BILLING_PORTAL_BUDGETS_FILE == Path("/etc/b.yml")


def test_amounts_keep_their_exact_decimal_text(tmp_path):
    f = tmp_path / "b.yml"
    f.write_text("business_units:\n  finance: 0.1\n  ops: '1234.56789'\n  zero: 0\n")
    assert load_budgets(f) == {"finance": Decimal("0.1"), "ops": Decimal("1234.56789"), "zero": Decimal(0)}


@pytest.mark.parametrize("text, needle", [
    ("business_units: {finance: -1}", "non-negative amount"),
    ("business_units: {finance: lots}", "non-negative amount"),
    ("business_units: {finance: .nan}", "non-negative amount"),
    ("business_units: {finance: true}", "non-negative amount"),
    ("business_units: {finance: [1]}", "non-negative amount"),
    ("business_units: {}", "non-empty mapping"),
    ("budgets: {finance: 1}", "business_units: Field required"),
    ("- finance", "expected a mapping"),
    ("business_units: {finance: 1", "invalid YAML"),
    ("business_units: {1: 5}", "non-empty strings"),
])
def test_bad_files_give_one_line_naming_the_variable(tmp_path, text, needle):
    f = tmp_path / "b.yml"
    f.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_budgets(f)
    assert str(err.value).startswith("BILLING_PORTAL_BUDGETS_FILE: ")
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_a_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="BILLING_PORTAL_BUDGETS_FILE: .*nope.yml: file not found"):
        load_budgets(tmp_path / "nope.yml")

"""/metrics exposes the configured monthly budgets as ccloud_budget_usd{business_unit}, next to the month-to-date
cost they are compared with; a bad budgets file stops the sidecar at start with one line naming the variable."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from billing_portal.errors import ConfigError
from billing_portal_tests.factories import LiveServer, sidecar_app, write_day

TODAY = dt.datetime.now(dt.UTC).date()


def families(srv) -> dict:
    r = requests.get(srv.url + "/metrics", timeout=30)
    assert r.status_code == 200, r.text
    return {f.name: f for f in text_string_to_metric_families(r.text)}


def test_budget_gauge_per_business_unit(database_url, tmp_path):
    write_day(database_url, TODAY - dt.timedelta(days=1))
    budgets = tmp_path / "budgets.yml"
    budgets.write_text("business_units:\n  commerce: 1000.50\n  platform: 20\n")
    with LiveServer(sidecar_app(database_url, BILLING_PORTAL_BUDGETS_FILE=str(budgets))) as srv:
        fam = families(srv)
    assert {s.labels["business_unit"]: s.value for s in fam["ccloud_budget_usd"].samples} == {
        "commerce": 1000.5, "platform": 20.0}
    assert fam["ccloud_budget_usd"].type == "gauge"
    # The alert compares it with the month-to-date cost, label for label.
    if (TODAY - dt.timedelta(days=1)).month == TODAY.month:
        mtd = {s.labels["business_unit"] for s in fam["ccloud_cost_month_to_date_usd"].samples}
        assert {"commerce", "platform"} <= mtd

    with LiveServer(sidecar_app(database_url)) as srv:  # no file: the family is there, without samples
        fam = families(srv)
    assert "ccloud_budget_usd" in fam and fam["ccloud_budget_usd"].samples == []


def test_a_bad_budgets_file_fails_at_start(database_url, tmp_path):
    bad = tmp_path / "budgets.yml"
    bad.write_text("business_units:\n  commerce: -5\n")
    with pytest.raises(ConfigError, match="BILLING_PORTAL_BUDGETS_FILE: .*commerce"):
        sidecar_app(database_url, BILLING_PORTAL_BUDGETS_FILE=str(bad))

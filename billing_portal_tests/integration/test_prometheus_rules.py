"""prometheus/: `promtool check config`, `promtool check rules` and `promtool test rules` pass, every alert has unit
tests where it fires and where it does not, and the recording rules the issue asks for exist."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from billing_portal_tests.factories import require_binary

PROM = Path(__file__).resolve().parents[2] / "prometheus"


def promtool(*args: str) -> str:
    proc = subprocess.run([require_binary("promtool"), *args], cwd=PROM, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"promtool {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout + proc.stderr


def rules() -> list[dict]:
    out = []
    for f in sorted((PROM / "rules").glob("*.yml")):
        for group in yaml.safe_load(f.read_text())["groups"]:
            out.extend(group["rules"])
    return out


def test_promtool_check_config_loads_the_rule_files():
    config = yaml.safe_load((PROM / "prometheus.yml").read_text())
    assert config["rule_files"] == ["rules/*.yml"]
    out = promtool("check", "config", "prometheus.yml")
    assert f"SUCCESS: {len(list((PROM / 'rules').glob('*.yml')))} rule files found" in out


def test_promtool_check_rules():
    files = sorted(str(p.relative_to(PROM)) for p in (PROM / "rules").glob("*.yml"))
    assert files
    out = promtool("check", "rules", *files)
    assert out.count("SUCCESS") == len(files)


def test_promtool_unit_tests_pass():
    tests = sorted(str(p.relative_to(PROM)) for p in (PROM / "tests").glob("*.yml"))
    assert tests
    assert "SUCCESS" in promtool("test", "rules", *tests)


def test_every_alert_is_tested_firing_and_not_firing():
    alerts = {r["alert"] for r in rules() if "alert" in r}
    assert {"BusinessUnitOverMonthlyBudget", "DailyCostAnomaly", "CostDataStale", "UnallocatedCostShareHigh"} <= alerts
    firing, quiet = set(), set()
    for f in (PROM / "tests").glob("*.yml"):
        doc = yaml.safe_load(f.read_text())
        rule_files = {(f.parent / r).resolve() for r in doc["rule_files"]}
        assert rule_files == {p.resolve() for p in (PROM / "rules").glob("*.yml")}, "tests load every rule file"
        for test in doc["tests"]:
            for case in test.get("alert_rule_test", []):
                (firing if case.get("exp_alerts") else quiet).add(case["alertname"])
    assert alerts <= firing, f"alerts never tested firing: {alerts - firing}"
    assert alerts <= quiet, f"alerts never tested not firing: {alerts - quiet}"


def test_recording_rules_cover_business_unit_cluster_and_team():
    records = {r["record"]: r["expr"] for r in rules() if "record" in r}
    for dim in ("business_unit", "cluster", "team"):
        name = f"{dim}:ccloud_cost_usd:sum_30d"
        assert name in records, name
        grouping = records[name].split("by (", 1)[1].split(")", 1)[0]
        assert dim in [g.strip() for g in grouping.split(",")], (name, grouping)
    # Budgets come from configuration through the sidecar gauge, not from numbers in the rules.
    over = next(r for r in rules() if r.get("alert") == "BusinessUnitOverMonthlyBudget")
    assert "ccloud_budget_usd" in over["expr"]

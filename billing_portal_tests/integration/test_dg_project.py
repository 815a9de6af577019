"""The project is a dg project (pyproject.toml [tool.dg]): Dagster's own tooling validates and lists the defs folder,
`billing_portal/defs/`, and finds exactly what the code location serves."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DG = Path(sys.executable).parent / "dg"


def _dg(tmp_path, *args) -> subprocess.CompletedProcess:
    if not DG.exists() and not shutil.which("dg"):
        if os.environ.get("CI") == "true":
            pytest.fail("dg not installed (dagster-dg-cli is a dev extra: make install)")
        pytest.skip("dg not installed (pip install -e '.[dev]')")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CCLOUD_", "BILLING_", "DAGSTER_"))}
    env["DAGSTER_HOME"] = str(tmp_path)
    return subprocess.run([str(DG if DG.exists() else shutil.which("dg")), *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)


def test_dg_check_defs_passes(tmp_path):
    proc = _dg(tmp_path, "check", "defs")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "All definitions loaded successfully" in proc.stdout + proc.stderr


def test_dg_list_defs_is_the_code_location(tmp_path):
    from billing_portal.definitions import load_defs
    from billing_portal.jobs import JOBS, SCHEDULES

    proc = _dg(tmp_path, "list", "defs", "--json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    listed = json.loads(proc.stdout)
    defs = load_defs()
    assert {a["asset_key"] for a in listed["assets"]} == {
        k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {j["name"] for j in listed["jobs"]} == {j.name for j in JOBS}
    assert {s["name"] for s in listed["schedules"]} == {s.name for s in SCHEDULES}
    assert {r["name"] for r in listed["resources"]} == set(defs.resources)
    assert {c["key"] for c in listed["asset_checks"]} >= {"hourly_cost_facts:reconciliation",
                                                          "hourly_topic_facts:topic_reconciliation"}

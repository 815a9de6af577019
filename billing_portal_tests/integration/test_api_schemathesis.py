"""Schemathesis (v4 CLI) against /openapi.json of a live sidecar on waitress, on seeded data: every operation,
positive and negative inputs, all checks (server errors, status codes, content types, response schemas, negative
data rejection, auth enforcement …). Zero failures allowed.

`positive_data_acceptance` is not run: schema-valid combinations such as from_ts ≥ to_ts or a 2-year range are
rejected by design (400 naming the parameter), which that check would flag.

Two passes: without credentials (the collect API must refuse: 401), and with the bearer token on the collect API,
whose Dagster launcher is replaced by an in-process stand-in so that fuzzing never launches real runs (the real
Dagster path is tested in test_api_collect.py).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import requests

from billing_portal_tests.factories import API_TOKEN as TOKEN

ST = str(Path(sys.executable).parent / "st")
MAX_EXAMPLES = "25"


def run_schemathesis(srv, tmp_path, *args: str) -> tuple[int, str]:
    cmd = [ST, "run", f"{srv.url}/openapi.json", "--checks", "all", "--exclude-checks", "positive_data_acceptance",
           "--max-examples", MAX_EXAMPLES, "--seed", "20240110", "--workers", "2", "--request-timeout", "30",
           "--no-color", "--generation-database", "none", "--report-dir", str(tmp_path), *args]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=tmp_path)
    out = result.stdout + result.stderr
    print(out[-3000:])
    assert result.returncode == 0, out[-6000:]
    m = re.search(r"(\d+) generated, (\d+) passed", out)
    assert m, out[-3000:]
    generated, passed = int(m.group(1)), int(m.group(2))
    assert generated == passed
    assert "Server error" not in out and "ST101" not in out
    return generated, out


def test_schemathesis_finds_nothing(server, tmp_path):
    generated, out = run_schemathesis(server, tmp_path)
    assert generated >= 500
    spec = requests.get(f"{server.url}/openapi.json", timeout=30).json()
    operations = sum(1 for item in spec["paths"].values() for verb in item if verb in ("get", "post", "put", "delete"))
    assert operations >= 17 and re.search(rf"Tested: {operations}\b", out), "every operation of the spec is tested"
    authed, _ = run_schemathesis(server, tmp_path, "--include-path-regex", "^/api/v1/collect",
                                 "-H", f"Authorization: Bearer {TOKEN}")
    assert authed >= 100
    print(f"schemathesis: {generated} test cases without credentials, {authed} with the bearer token")

"""Nothing reads the environment at import time: every module of the package imports with a broken configuration,
and the configuration is read when the Dagster code location loads (the daily partitions start at
BILLING_START_DATE then)."""

from __future__ import annotations

import os
import subprocess
import sys

IMPORT_EVERYTHING = """
import importlib, pkgutil, billing_portal
names = [m.name for m in pkgutil.walk_packages(billing_portal.__path__, 'billing_portal.')]
for name in names:
    importlib.import_module(name)
print(len(names))
"""

LOAD = """
from billing_portal.definitions import load_defs
graph = load_defs().resolve_asset_graph()
print(sorted({str(graph.get(k).partitions_def) for k in graph.get_all_asset_keys()}))
"""


def _run(code: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("BILLING_", "CCLOUD_", "DATABASE_URL"))}
    return subprocess.run([sys.executable, "-c", code], env={**clean, "PYTHONWARNINGS": "ignore", **env},
                          capture_output=True, text=True, timeout=300, cwd="/")


def test_every_module_imports_with_a_broken_configuration():
    broken = {"BILLING_START_DATE": "yesterday", "RESTATEMENT_WINDOW_DAYS": "many",
              "DATABASE_URL": "mysql://nope", "CCLOUD_API_URL": "not a url"}
    done = _run(IMPORT_EVERYTHING, **broken)
    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.split()[-1]) > 100


def test_the_partitions_start_where_the_settings_say_when_the_definitions_load():
    done = _run(LOAD, BILLING_START_DATE="2025-03-01")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "['Daily, starting 2025-03-01 UTC.']"
    broken = _run(LOAD, BILLING_START_DATE="yesterday")
    assert broken.returncode != 0 and "BILLING_START_DATE" in broken.stderr

"""What a newcomer reads is free of warnings (issue 16): loading the code location emits no Dagster BetaWarning (the
deliberate `backfill_policy`) and no warning attributed to our own code (deprecated Dagster parameters), the assets
use no deprecated AssetExecutionContext attribute (`context.run_id` → `context.run.run_id`), and the package
declares its licence as setuptools ≥ 77 wants it (an SPDX string, not the deprecated table)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "billing_portal"

RECORD = """
import json, warnings
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import billing_portal.definitions
print(json.dumps([[w.category.__name__, w.filename, str(w.message)[:300]] for w in caught]))
"""


def test_loading_the_definitions_warns_nothing_of_ours():
    proc = subprocess.run([sys.executable, "-c", RECORD], cwd=REPO, capture_output=True, text=True, timeout=300,
                          check=True)
    caught = json.loads(proc.stdout.strip().splitlines()[-1])
    assert not [w for w in caught if w[0] == "BetaWarning"], caught
    ours = [w for w in caught if Path(w[1]).resolve().is_relative_to(PACKAGE)]
    assert not ours, ours


def test_assets_use_no_deprecated_context_attribute():
    import warnings

    from dagster import AssetExecutionContext, build_asset_context

    # the attributes Dagster warns about when read (found through its public API: reading each one)
    deprecated = set()
    with build_asset_context() as context:
        for name in (n for n in vars(AssetExecutionContext) if not n.startswith("_")):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    getattr(context, name)
                except Exception:  # attributes that need a run: only the warnings matter here
                    pass
            if any(issubclass(w.category, DeprecationWarning) for w in caught):
                deprecated.add(name)
    assert "run_id" in deprecated  # what the check relies on
    found = []
    paths = sorted((PACKAGE / "defs").rglob("*.py"))
    assert paths
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Attribute) and node.attr in deprecated and isinstance(node.value, ast.Name)
                    and node.value.id == "context"):
                found.append(f"{path.relative_to(REPO)}:{node.lineno}: context.{node.attr}")
    assert not found, found


def test_the_licence_is_an_spdx_string_for_a_setuptools_that_takes_it():
    from packaging.licenses import canonicalize_license_expression
    from packaging.requirements import Requirement

    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    licence = pyproject["project"]["license"]
    assert isinstance(licence, str) and canonicalize_license_expression(licence) == licence
    (setuptools,) = [Requirement(r) for r in pyproject["build-system"]["requires"] if r.startswith("setuptools")]
    assert setuptools.specifier.contains("77.0.0") and not setuptools.specifier.contains("76.9")


def test_setuptools_reads_the_project_table_without_a_warning():
    """Where the installed setuptools already is the one the build uses (≥ 77), read the table with warnings as
    errors (the build itself runs in an isolated environment with the newest setuptools)."""
    import pytest

    setuptools = pytest.importorskip("setuptools")
    if int(setuptools.__version__.split(".")[0]) < 77:
        pytest.skip(f"setuptools {setuptools.__version__} here; the build uses ≥ 77 (pyproject.toml)")
    script = ("from setuptools.config.pyprojecttoml import apply_configuration\n"
              "from setuptools.dist import Distribution\n"
              "print(apply_configuration(Distribution(), 'pyproject.toml').metadata.license_expression)\n")
    proc = subprocess.run([sys.executable, "-W", "error", "-c", script], cwd=REPO, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0 and proc.stdout.strip() == "MIT", proc.stderr[-2000:]

"""A local Dagster home under $BILLING_PORTAL_HOME/dagster (runs, event log and schedules in SQLite there).
The docker compose stack uses the repository's dagster.yaml instead (PostgreSQL storage)."""

from __future__ import annotations

import os
from pathlib import Path

LOCAL_DAGSTER_YAML = """\
# Written by billing_portal.dagster_home for local runs (make demo, billing-portal materialize).
telemetry:
  enabled: false
concurrency:
  runs:
    max_concurrent_runs: 4
    tag_concurrency_limits:
      # Never two runs writing the same partition or range at once (the second waits in the queue).
      - key: "dagster/partition"
        value: {applyLimitPerUniqueValue: true}
        limit: 1
      - key: "dagster/asset_partition_range_start"
        value: {applyLimitPerUniqueValue: true}
        limit: 1
  # collection assets: one slot each of the pools confluent_api and confluent_catalog across runs (Confluent's
  # limits)
  pools:
    default_limit: 1
"""


def ensure_dagster_home(home: Path) -> Path:
    """Create the local Dagster home if needed and point DAGSTER_HOME at it (unless already set)."""
    if os.environ.get("DAGSTER_HOME"):
        return Path(os.environ["DAGSTER_HOME"])
    dagster_home = (Path(home) / "dagster").resolve()
    dagster_home.mkdir(parents=True, exist_ok=True)
    cfg = dagster_home / "dagster.yaml"
    if not cfg.exists() or cfg.read_text() != LOCAL_DAGSTER_YAML:
        cfg.write_text(LOCAL_DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    return dagster_home

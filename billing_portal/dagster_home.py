"""A local Dagster home under $BILLING_PORTAL_HOME/dagster (runs, event log and schedules in SQLite there).
The docker compose stack uses the repository's dagster.yaml instead (PostgreSQL storage).

A `DAGSTER_HOME` the user set is respected: used as it is when it is a directory, created (with the local
dagster.yaml) when only its parent exists, and otherwise refused with one line naming it — never Dagster's traceback.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from billing_portal.errors import ConfigError

log = logging.getLogger(__name__)

LOCAL_DAGSTER_YAML = """\
# Written by billing_portal.dagster_home for local runs (make demo, billing-portal materialize).
telemetry:
  enabled: false
# No "Join the community" dialog over the asset graph of a local instance.
nux:
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


def _write_config(dagster_home: Path) -> None:
    cfg = dagster_home / "dagster.yaml"
    if not cfg.exists() or cfg.read_text() != LOCAL_DAGSTER_YAML:
        cfg.write_text(LOCAL_DAGSTER_YAML)


def _configured(value: str, home: Path) -> Path:
    """The directory a user-set DAGSTER_HOME names, created when only its parent exists."""
    path = Path(value).expanduser()
    path = path if path.is_absolute() else path.resolve()  # Dagster wants an absolute path
    unset = f"or unset DAGSTER_HOME to use {(Path(home) / 'dagster').resolve()}"
    if path.is_dir():
        return path
    if path.exists():
        raise ConfigError(f"DAGSTER_HOME ({value}) is not a directory: point it at a directory, {unset}")
    if not path.parent.is_dir():
        raise ConfigError(f"DAGSTER_HOME ({value}) does not exist, nor does its parent {path.parent}: create it, "
                          f"{unset}")
    try:
        path.mkdir()
        _write_config(path)
    except OSError as exc:
        raise ConfigError(f"DAGSTER_HOME ({value}) does not exist and cannot be created: "
                          f"{exc.strerror or exc}; create it, {unset}") from None
    log.info("created DAGSTER_HOME %s (a local Dagster instance)", path)
    return path


def ensure_dagster_home(home: Path) -> Path:
    """The Dagster home to use, as an absolute path also set in DAGSTER_HOME: the configured one (created if only its
    parent exists), else $BILLING_PORTAL_HOME/dagster (created, with the local dagster.yaml). A DAGSTER_HOME that
    cannot be used is a ConfigError (one line)."""
    if os.environ.get("DAGSTER_HOME"):
        dagster_home = _configured(os.environ["DAGSTER_HOME"], home)
    else:
        dagster_home = (Path(home) / "dagster").resolve()
        dagster_home.mkdir(parents=True, exist_ok=True)
        _write_config(dagster_home)
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    return dagster_home

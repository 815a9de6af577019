"""The Dagster code location: `dagster dev -m billing_portal.definitions`, workspace.yaml, or `dg dev` (the dg
project of pyproject.toml's [tool.dg]). Every asset, check, job, schedule and the resources are found in the defs
folder, `billing_portal/defs/`: one folder per source or capability (billing/, core_objects/, catalog/, usage/,
flink/, ownership/, facts/, topics/, confidence/, metrics/, pipeline/), each with its assets, checks, jobs and
schedules; `defs/resources.py` configures the resources from Settings."""

from __future__ import annotations

import functools
from pathlib import Path

from dagster import Definitions, definitions, load_from_defs_folder

from billing_portal.defs.partitions import bind_partitions

_PROJECT = Path(__file__).resolve().parent.parent


def _build() -> Definitions:
    """The defs folder, its daily partitions starting at BILLING_START_DATE (Settings, read now, not at import)."""
    return bind_partitions(load_from_defs_folder(path_within_project=_PROJECT))


@definitions
def defs() -> Definitions:
    return _build()


@functools.cache
def load_defs() -> Definitions:
    """The loaded Definitions, for code that inspects them (the CLI, tests)."""
    return _build()

"""The core objects alone (collect_core_objects_job)."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

collect_core_objects_job = define_asset_job(
    "collect_core_objects_job", selection=AssetSelection.groups("core_objects"),
    description="Core objects only (orgs, environments, clusters, principals, keys, connectors, ksqlDB, Flink, SR).")

"""The Stream Catalog alone (collect_catalog_tags_job)."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

collect_catalog_tags_job = define_asset_job(
    "collect_catalog_tags_job", selection=AssetSelection.groups("catalog"),
    description="Stream Governance catalog tags and business metadata only.")

"""The billing source alone (collect_billing_job: the Dagster UI, `materialize --job billing`)."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

collect_billing_job = define_asset_job(
    "collect_billing_job", selection=AssetSelection.groups("billing"),
    description="Billing costs only.")

"""The Dagster resources, configured from `Settings` (billing_portal/config.py: the one configuration path;
defaults written there once). Secrets reach Dagster as EnvVar (the UI shows their names, never their values)."""

from __future__ import annotations

import os

from dagster import Definitions, EnvVar, definitions

from billing_portal.config import get_settings, load_dotenv_file
from billing_portal.resources import (
    AllocationRulesResource,
    ClockResource,
    ConfluentCloudResource,
    FlinkResource,
    SchemaRegistryResource,
    UsagePrometheusResource,
    WarehouseResource,
)


def _secret(name: str):
    """EnvVar when the variable is set (the UI shows its name, never its value); None otherwise."""
    return EnvVar(name) if os.environ.get(name) else None


def build_resources() -> dict:
    load_dotenv_file()
    s = get_settings()
    # the retry budget every Confluent client shares (HttpBudgetResource)
    http = {"max_attempts": s.CCLOUD_HTTP_MAX_ATTEMPTS, "retry_budget_seconds": s.CCLOUD_HTTP_RETRY_BUDGET_SECONDS,
            "read_timeout_seconds": s.CCLOUD_HTTP_READ_TIMEOUT_SECONDS}
    return {
        "warehouse": WarehouseResource(database_url=_secret("DATABASE_URL"), home=str(s.home),
                                       partition_lock_wait_seconds=s.BILLING_PORTAL_PARTITION_LOCK_WAIT_SECONDS,
                                       metrics_window_days=s.RESTATEMENT_WINDOW_DAYS + 1),
        "confluent": ConfluentCloudResource(api_key=EnvVar("CCLOUD_API_KEY"), api_secret=EnvVar("CCLOUD_API_SECRET"),
                                            api_url=s.CCLOUD_API_URL, telemetry_url=s.CCLOUD_TELEMETRY_URL,
                                            billing_page_size=s.CCLOUD_BILLING_PAGE_SIZE,
                                            **http,
                                            metrics_retention_days=s.METRICS_RETENTION_DAYS),
        "schema_registry": SchemaRegistryResource(url=s.SCHEMA_REGISTRY_URL,
                                                  api_key=_secret("SCHEMA_REGISTRY_API_KEY"),
                                                  api_secret=_secret("SCHEMA_REGISTRY_API_SECRET"),
                                                  credentials_file=str(s.SCHEMA_REGISTRY_CREDENTIALS_FILE)
                                                  if s.SCHEMA_REGISTRY_CREDENTIALS_FILE else None,
                                                  **http),
        "flink": FlinkResource(endpoint_template=s.FLINK_ENDPOINT_TEMPLATE,
                               credentials_file=str(s.FLINK_CREDENTIALS_FILE) if s.FLINK_CREDENTIALS_FILE else None,
                               api_key=_secret("FLINK_API_KEY"), api_secret=_secret("FLINK_API_SECRET"),
                               **http),
        "usage_prometheus": UsagePrometheusResource(url=s.USAGE_PROMETHEUS_URL),
        "clock": ClockResource(now=s.BILLING_PORTAL_NOW.isoformat() if s.BILLING_PORTAL_NOW else None),
        "allocation_rules": AllocationRulesResource(
            mapping_file=str(s.BILLING_PORTAL_MAPPING_FILE) if s.BILLING_PORTAL_MAPPING_FILE else None,
            allocation_file=str(s.BILLING_PORTAL_ALLOCATION_FILE) if s.BILLING_PORTAL_ALLOCATION_FILE else None),
    }


@definitions
def resources() -> Definitions:
    """Built when Dagster loads the code location (not at import): `.env` and the environment are read then."""
    return Definitions(resources=build_resources())

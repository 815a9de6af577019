"""Dagster resources: the warehouse and the Confluent Cloud / Schema Registry API clients."""

from billing_portal.resources.allocation import AllocationRulesResource
from billing_portal.resources.clock import ClockResource
from billing_portal.resources.confluent import (
    ConfluentCloudResource,
    FlinkResource,
    SchemaRegistryResource,
    UsagePrometheusResource,
)
from billing_portal.resources.warehouse import WarehouseResource

__all__ = ["AllocationRulesResource", "ClockResource", "ConfluentCloudResource", "FlinkResource", "SchemaRegistryResource",
           "UsagePrometheusResource", "WarehouseResource"]

"""Allocation settings as a resource: the ownership mapping file and the allocation rules file (both optional)."""

from __future__ import annotations

from dagster import ConfigurableResource


class AllocationRulesResource(ConfigurableResource):
    """Paths from BILLING_PORTAL_MAPPING_FILE and BILLING_PORTAL_ALLOCATION_FILE; empty means built-in defaults."""

    mapping_file: str | None = None
    allocation_file: str | None = None

    def mapping(self):
        from billing_portal.ownership import load_mapping

        return load_mapping(self.mapping_file or None)

    def config(self):
        from billing_portal.allocation import load_allocation_config

        return load_allocation_config(self.allocation_file or None)

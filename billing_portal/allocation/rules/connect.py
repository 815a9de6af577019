"""Connectors (CONNECT_CAPACITY, CONNECT_NUM_TASKS, CONNECT_THROUGHPUT, CONNECT_NUM_RECORDS, CUSTOM_CONNECT_*):
the connector's identity pays, confidence high.

Identity: `kafka.service.account.id` (reason `connector_service_account`), or with auth mode KAFKA_API_KEY the owner
of `kafka.api.key` through the API-keys list (reason `connector_api_key_owner`). Capacity and task lines spread
evenly over the day; throughput and record lines follow the hourly bytes of that identity on the connector's
cluster. No identity (masked key, missing object) → fallback ladder, reason `no_identity_on_object`.
"""

from __future__ import annotations

from billing_portal.allocation.rules._identity import allocate_to_object_identity as allocate

__all__ = ["allocate"]

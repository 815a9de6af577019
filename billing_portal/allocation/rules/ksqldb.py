"""ksqlDB (KSQL_NUM_CSUS / KSQL_NUM_CSU): the cluster's credential identity (`spec.credential_identity`) pays,
method `object_owner`, reason `ksqldb_credential_identity`, confidence high, evenly over the day (CSUs are capacity).
No credential identity → fallback ladder (reason `no_identity_on_object`; tier 2 uses the ksqlDB cluster's Kafka
cluster's active principals)."""

from __future__ import annotations

from billing_portal.allocation.rules._identity import allocate_to_object_identity as allocate

__all__ = ["allocate"]

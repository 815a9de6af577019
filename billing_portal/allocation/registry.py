"""Which rule allocates which bill line: by line type (Confluent's `line_type`), with overrides from the
configuration (`line_type_rules`). A line without a resource always goes to `no_resource`; a line type nobody knows
goes to `fallback` (never dropped).

To find the rule of a line type: look it up in RULE_OF_LINE_TYPE, then open `rules/<rule>.py`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from billing_portal.allocation.config import AllocationConfig

RULE_OF_LINE_TYPE: dict[str, str] = {
    # rules/kafka_network.py: each principal's bytes, hour by hour
    "KAFKA_NETWORK_READ": "kafka_network",
    "KAFKA_NETWORK_WRITE": "kafka_network",
    # rules/kafka_shared.py: shared cluster costs, configurable split (usage | even | hybrid)
    "KAFKA_BASE": "kafka_shared",
    "KAFKA_NUM_CKUS": "kafka_shared",
    "KAFKA_NUM_CKU": "kafka_shared",
    "KAFKA_PARTITION": "kafka_shared",
    "KAFKA_STORAGE": "kafka_shared",
    "KAFKA_REST_PRODUCE": "kafka_shared",
    "KAFKA_STREAMS": "kafka_shared",
    "CLUSTER_LINKING_PER_LINK": "kafka_shared",
    "CLUSTER_LINKING_READ": "kafka_shared",
    "CLUSTER_LINKING_WRITE": "kafka_shared",
    "TABLEFLOW_DATA_PROCESSED": "kafka_shared",
    "TABLEFLOW_NUM_TOPICS": "kafka_shared",
    "TABLEFLOW_STORAGE": "kafka_shared",
    "USM_CONNECTED_NODE": "kafka_shared",
    # rules/connect.py: the connector's identity
    "CONNECT_CAPACITY": "connect",
    "CONNECT_NUM_TASKS": "connect",
    "CONNECT_THROUGHPUT": "connect",
    "CONNECT_NUM_RECORDS": "connect",
    "CUSTOM_CONNECT_NUM_TASKS": "connect",
    "CUSTOM_CONNECT_THROUGHPUT": "connect",
    # rules/ksqldb.py: the ksqlDB cluster's credential identity
    "KSQL_NUM_CSUS": "ksqldb",
    "KSQL_NUM_CSU": "ksqldb",
    # rules/flink.py: the compute pool's owner
    "FLINK_NUM_CFUS": "flink",
    "FLINK_NUM_CFU": "flink",
    # rules/governance.py: Schema Registry key holders, else the environment's owner
    "GOVERNANCE_BASE": "governance",
    "SCHEMA_REGISTRY": "governance",
    "NUM_RULES": "governance",
    # rules/no_resource.py: lines that never carry a resource (and any line whose resource is missing)
    "SUPPORT": "no_resource",
    "PROMO_CREDIT": "no_resource",
    "AUDIT_LOG_READ": "no_resource",
}

RULE_NAMES = ("kafka_network", "kafka_shared", "connect", "ksqldb", "flink", "governance", "no_resource", "fallback")


def rule_for(line_type: str, has_resource: bool, config: AllocationConfig) -> str:
    """The rule name for one line: no resource → `no_resource`; else the configured override, else the table,
    else `fallback`. Org-level line types (SUPPORT, PROMO_CREDIT, AUDIT_LOG_READ) stay with `no_resource` even when
    they name a resource (AUDIT_LOG_READ names the Confluent-managed audit-log cluster, not one of the org's)."""
    if not has_resource:
        return "no_resource"
    return config.line_type_rules.get(line_type) or RULE_OF_LINE_TYPE.get(line_type) or "fallback"


def route(lines: pd.DataFrame, config: AllocationConfig) -> np.ndarray:
    """Rule name per line (object array aligned with `lines`)."""
    return np.array([rule_for(lt, bool(r), config)
                     for lt, r in zip(lines["line_type"].tolist(), lines["resource_id"].tolist(), strict=True)],
                    dtype=object)

"""The fixed vocabulary of every fact row: allocation method, allocation reason, confidence — and how methods map to
the coverage KPIs. Every value is documented in docs/ALLOCATION.md; nothing else is ever written to those columns.

Inside the engine each value travels as a small integer code (its position in the tuples below).
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np

from billing_portal.ownership import objects as _objects


class Method(StrEnum):
    """HOW the line's amount was split (the tier of the rule that applied)."""

    USAGE_SHARE = "usage_share"                        # by each principal's measured bytes
    HYBRID = "hybrid"                                  # ratio of usage share and even split
    EVEN_ACTIVE_PRINCIPALS = "even_active_principals"  # evenly over the cluster's active principals
    KEY_HOLDERS_EVEN = "key_holders_even"              # evenly over principals holding API keys for the resource
    OBJECT_OWNER = "object_owner"                      # the identity the object itself names (connector SA, ksqlDB)
    RESOURCE_OWNER = "resource_owner"                  # the resource's resolved owner (mapping, catalog, names)
    ENV_OWNER = "env_owner"                            # the environment's resolved owner
    DISTRIBUTION_RULE = "distribution_rule"            # a configured rule for lines without a resource
    UNALLOCATED = "unallocated"                        # principal UNALLOCATED


class Reason(StrEnum):
    """WHY: the evidence behind the row (primary tiers) or why the primary tier could not apply (fallbacks)."""

    # evidence, primary tiers
    NETWORK_BYTES_SHARE = "network_bytes_share"
    CLUSTER_USAGE_SHARE = "cluster_usage_share"
    SHARED_EVEN_SPLIT = "shared_even_split"
    SHARED_HYBRID_SPLIT = "shared_hybrid_split"
    CONNECTOR_SERVICE_ACCOUNT = _objects.CONNECTOR_SERVICE_ACCOUNT
    CONNECTOR_API_KEY_OWNER = _objects.CONNECTOR_API_KEY_OWNER
    KSQLDB_CREDENTIAL_IDENTITY = _objects.KSQLDB_CREDENTIAL_IDENTITY
    SCHEMA_REGISTRY_KEY_HOLDERS = "schema_registry_key_holders"
    SCHEMA_OWNER_SHARE = "schema_owner_share"            # a governance line by the registry's schemas' owners
    STATEMENT_CFU_SHARE = "statement_cfu_share"          # a Flink pool's CFUs by its statements' CFUs
    USAGE_FROM_PROMETHEUS = "usage_from_prometheus"      # usage shares from the Prometheus usage history
    # where an owner came from (resource_owner / env_owner rows)
    OWNER_FROM_MAPPING = "owner_from_mapping"
    OWNER_FROM_CATALOG = "owner_from_catalog"
    OWNER_FROM_OBJECT = "owner_from_object"
    OWNER_FROM_NAME = "owner_from_name"
    # why a fallback tier was used
    NO_METRICS_FOR_CLUSTER = "no_metrics_for_cluster"
    USAGE_EXPIRED_BEFORE_CAPTURE = "usage_expired_before_capture"  # the Metrics API dropped it before it was captured
    ZERO_USAGE_FOR_LINE = "zero_usage_for_line"
    NO_ACTIVE_PRINCIPALS = "no_active_principals"
    NO_IDENTITY_ON_OBJECT = "no_identity_on_object"
    STATEMENT_OWNER_UNKNOWN = "statement_owner_unknown"  # statement CFUs measured, its principal never observed
    NO_KEY_HOLDERS = "no_key_holders"
    UNKNOWN_LINE_TYPE = "unknown_line_type"
    ROUTED_TO_FALLBACK = "routed_to_fallback"
    NO_RESOURCE_ON_LINE = "no_resource_on_line"
    # distribution rules (lines without a resource)
    SPREAD_BY_ALLOCATED_COST = "spread_by_allocated_cost"
    SPREAD_EVEN_ACTIVE_PRINCIPALS = "spread_even_active_principals"
    ASSIGNED_BY_RULE = "assigned_by_rule"


class Confidence(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Coverage(StrEnum):
    """Coverage KPI buckets of table cost_confidence_daily."""

    USAGE = "by_usage"
    OWNERSHIP = "by_ownership"
    FALLBACK = "by_fallback"
    UNALLOCATED = "unallocated"


COVERAGE_OF_METHOD: dict[Method, Coverage] = {
    Method.USAGE_SHARE: Coverage.USAGE,
    Method.HYBRID: Coverage.USAGE,
    Method.OBJECT_OWNER: Coverage.OWNERSHIP,
    Method.RESOURCE_OWNER: Coverage.OWNERSHIP,
    Method.ENV_OWNER: Coverage.OWNERSHIP,
    Method.KEY_HOLDERS_EVEN: Coverage.OWNERSHIP,
    Method.EVEN_ACTIVE_PRINCIPALS: Coverage.FALLBACK,
    Method.DISTRIBUTION_RULE: Coverage.FALLBACK,
    Method.UNALLOCATED: Coverage.UNALLOCATED,
}

OWNER_REASON_OF_SOURCE: dict[str, Reason] = {
    "mapping": Reason.OWNER_FROM_MAPPING,
    "catalog": Reason.OWNER_FROM_CATALOG,
    "object": Reason.OWNER_FROM_OBJECT,
    "name": Reason.OWNER_FROM_NAME,
}

# Where a cluster's usage of the day comes from (DayInputs.usage_sources) as codes of Context.usage_source.
FROM_METRICS_API, FROM_PROMETHEUS, USAGE_MISSING, USAGE_EXPIRED = 0, 1, 2, 3
USAGE_SOURCE_CODE = {"metrics_api": FROM_METRICS_API, "prometheus": FROM_PROMETHEUS, "missing": USAGE_MISSING,
                     "expired": USAGE_EXPIRED}

METHODS: tuple[Method, ...] = tuple(Method)
REASONS: tuple[Reason, ...] = tuple(Reason)
CONFIDENCES: tuple[Confidence, ...] = tuple(Confidence)

_METHOD_CODE = {m: i for i, m in enumerate(METHODS)}
_REASON_CODE = {r: i for i, r in enumerate(REASONS)}
_CONFIDENCE_CODE = {c: i for i, c in enumerate(CONFIDENCES)}


def method_code(m: Method) -> int:
    return _METHOD_CODE[m]


def reason_code(r: Reason) -> int:
    return _REASON_CODE[r]


def confidence_code(c: Confidence) -> int:
    return _CONFIDENCE_CODE[c]


def owner_reason_codes(sources: np.ndarray) -> np.ndarray:
    """attribution_source values → reason codes (`owner_from_<source>`; anything else counts as mapping)."""
    table = {s: reason_code(r) for s, r in OWNER_REASON_OF_SOURCE.items()}
    default = reason_code(Reason.OWNER_FROM_MAPPING)
    return np.fromiter((table.get(s, default) for s in sources), dtype=np.int16, count=len(sources))

"""Allocation rules configuration (`AllocationConfig`): shared-cost splits per line type, distribution rules for
lines without a resource, usage-driven line types, line-type → rule overrides and the unallocated WARN threshold.

Loaded from YAML by `load_allocation_config(path)`; None → the defaults below. Documented in docs/ALLOCATION.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from billing_portal.ownership.yamlfile import load_yaml_model

SplitMethod = Literal["usage", "even", "hybrid"]
UsageMetric = Literal["total", "request", "response"]
Spread = Literal["unallocated", "allocated_cost", "even_active_principals", "principal", "team"]
RuleName = Literal["kafka_network", "kafka_shared", "connect", "ksqldb", "flink", "governance", "no_resource",
                   "fallback"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SharedSplit(_Strict):
    """How a shared cluster cost is split over the cluster's principals.

    `usage`: by bytes (`metric`: request + response = total, request = produce, response = fetch);
    `even`: evenly over the active principals (API-key holders on the cluster + principals seen in metrics);
    `hybrid`: `usage_ratio` of the amount by usage, the rest evenly."""

    method: SplitMethod
    usage_ratio: float = Field(default=0.5, ge=0.0, le=1.0)
    metric: UsageMetric = "total"


class DistributionRule(_Strict):
    """What happens to a line without a resource (SUPPORT, AUDIT_LOG_READ, PROMO_CREDIT, unknown products).

    `unallocated` (default): principal UNALLOCATED. `allocated_cost`: proportionally to each principal's other
    allocated cost that day (hour by hour). `even_active_principals`: evenly over the org's active principals.
    `principal`: to `principal_id`. `team`: to a synthetic principal `team:<team>` carrying `team` (and the optional
    business attributes)."""

    spread: Spread = "unallocated"
    principal_id: str | None = None
    team: str | None = None
    business_unit: str | None = None
    business_product: str | None = None
    cost_center: str | None = None

    @model_validator(mode="after")
    def _targets(self) -> DistributionRule:
        if self.spread == "principal" and not self.principal_id:
            raise ValueError("spread 'principal' needs principal_id")
        if self.spread == "team" and not self.team:
            raise ValueError("spread 'team' needs team")
        return self

    @property
    def synthetic_principal(self) -> str | None:
        return f"team:{self.team}" if self.spread == "team" else None


DEFAULT_SHARED_SPLITS: dict[str, SharedSplit] = {
    "KAFKA_BASE": SharedSplit(method="even"),
    "KAFKA_NUM_CKUS": SharedSplit(method="hybrid", usage_ratio=0.7),
    "KAFKA_NUM_CKU": SharedSplit(method="hybrid", usage_ratio=0.7),
    "KAFKA_PARTITION": SharedSplit(method="even"),
    "KAFKA_STORAGE": SharedSplit(method="usage", metric="request"),
    "KAFKA_REST_PRODUCE": SharedSplit(method="usage", metric="request"),
    "KAFKA_STREAMS": SharedSplit(method="usage"),
    "CLUSTER_LINKING_PER_LINK": SharedSplit(method="even"),
    "CLUSTER_LINKING_READ": SharedSplit(method="usage", metric="response"),
    "CLUSTER_LINKING_WRITE": SharedSplit(method="usage", metric="request"),
    "TABLEFLOW_DATA_PROCESSED": SharedSplit(method="usage", metric="request"),
    "TABLEFLOW_NUM_TOPICS": SharedSplit(method="even"),
    "TABLEFLOW_STORAGE": SharedSplit(method="usage", metric="request"),
}

DEFAULT_USAGE_DRIVEN: tuple[str, ...] = (
    "KAFKA_NETWORK_READ", "KAFKA_NETWORK_WRITE", "KAFKA_REST_PRODUCE", "KAFKA_STREAMS",
    "CONNECT_THROUGHPUT", "CONNECT_NUM_RECORDS", "CUSTOM_CONNECT_THROUGHPUT",
    "CLUSTER_LINKING_READ", "CLUSTER_LINKING_WRITE", "TABLEFLOW_DATA_PROCESSED",
)


TopicMetric = Literal["received", "sent", "retained", "throughput"]


class TopicSplit(_Strict):
    """How a cluster line is split over the cluster's topics (the topic view).

    `usage`: by each topic's bytes (`metric`: received = produce, sent = fetch, retained = stored, throughput =
    received + sent), hour by hour; `even`: evenly over the cluster's active topics (topics with bytes that day);
    `hybrid`: `usage_ratio` by usage, the rest evenly."""

    method: SplitMethod
    metric: TopicMetric = "throughput"
    usage_ratio: float = Field(default=0.5, ge=0.0, le=1.0)


DEFAULT_TOPIC_SPLITS: dict[str, TopicSplit] = {
    "KAFKA_NETWORK_WRITE": TopicSplit(method="usage", metric="received"),
    "KAFKA_NETWORK_READ": TopicSplit(method="usage", metric="sent"),
    "KAFKA_STORAGE": TopicSplit(method="usage", metric="retained"),
    "KAFKA_NUM_CKUS": TopicSplit(method="usage", metric="throughput"),
    "KAFKA_NUM_CKU": TopicSplit(method="usage", metric="throughput"),
    "KAFKA_REST_PRODUCE": TopicSplit(method="usage", metric="received"),
    "CLUSTER_LINKING_READ": TopicSplit(method="usage", metric="sent"),
    "CLUSTER_LINKING_WRITE": TopicSplit(method="usage", metric="received"),
}
# Topics of Kafka itself and of Confluent's services: not a data product of anyone, excluded from the split.
DEFAULT_INTERNAL_TOPICS: tuple[str, ...] = ("__*", "_schemas", "_confluent*", "_confluent-*")


def _upper_keys(v: dict) -> dict:
    return {str(k).strip().upper(): x for k, x in v.items()}


class AllocationConfig(_Strict):
    """All allocation settings. Every field has a default; a YAML file overrides what it names."""

    shared_splits: dict[str, SharedSplit] = Field(default_factory=lambda: dict(DEFAULT_SHARED_SPLITS))
    default_shared_split: SharedSplit = Field(default_factory=lambda: SharedSplit(method="even"))
    no_resource_rules: dict[str, DistributionRule] = Field(default_factory=dict)
    default_no_resource_rule: DistributionRule = Field(default_factory=DistributionRule)
    usage_driven_line_types: tuple[str, ...] = DEFAULT_USAGE_DRIVEN
    line_type_rules: dict[str, RuleName] = Field(default_factory=dict)
    unallocated_share_threshold: float = Field(default=0.05, ge=0.0, le=1.0)
    # the attribution_completeness check warns when the share of charges with a known team is below this
    attribution_completeness_threshold: float = Field(default=0.0, ge=0.0, le=1.0)
    # the topic view
    topic_splits: dict[str, TopicSplit] = Field(default_factory=lambda: dict(DEFAULT_TOPIC_SPLITS))
    default_topic_split: TopicSplit = Field(default_factory=lambda: TopicSplit(method="even"))
    internal_topics: tuple[str, ...] = DEFAULT_INTERNAL_TOPICS  # glob patterns excluded from the topic view

    @field_validator("shared_splits", mode="before")
    @classmethod
    def _merge_splits(cls, v):
        """A file's entries override the defaults for the line types they name; the others keep their default."""
        if not isinstance(v, dict):
            return v
        return {**DEFAULT_SHARED_SPLITS, **_upper_keys(v)}

    @field_validator("topic_splits", mode="before")
    @classmethod
    def _merge_topic_splits(cls, v):
        if not isinstance(v, dict):
            return v
        return {**DEFAULT_TOPIC_SPLITS, **_upper_keys(v)}

    @field_validator("no_resource_rules", "line_type_rules", mode="before")
    @classmethod
    def _upper(cls, v):
        return _upper_keys(v) if isinstance(v, dict) else v

    @field_validator("usage_driven_line_types", mode="before")
    @classmethod
    def _upper_list(cls, v):
        return tuple(str(x).strip().upper() for x in v) if isinstance(v, (list, tuple)) else v

    def shared_split(self, line_type: str) -> SharedSplit:
        return self.shared_splits.get(line_type, self.default_shared_split)

    def topic_split(self, line_type: str) -> TopicSplit:
        return self.topic_splits.get(line_type, self.default_topic_split)

    def no_resource_rule(self, line_type: str) -> DistributionRule:
        return self.no_resource_rules.get(line_type, self.default_no_resource_rule)


def load_allocation_config(path: str | Path | None) -> AllocationConfig:
    """The rules file at `path`; None → defaults. Malformed → ConfigError (one line: file, line, key)."""
    if path is None or str(path).strip() == "":
        return AllocationConfig()
    return load_yaml_model(path, AllocationConfig, "allocation rules file")

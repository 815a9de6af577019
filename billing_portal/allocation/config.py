"""Allocation rules configuration (`AllocationConfig`): shared-cost splits per line type, distribution rules for
lines without a resource, usage-driven line types, line-type → rule overrides and the unallocated WARN threshold.

Loaded from YAML by `load_allocation_config(path)`; None → the defaults below. Documented in docs/ALLOCATION.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from billing_portal.model.line_types import LINE_TYPES, Rule
from billing_portal.ownership.yamlfile import load_yaml_model

SplitMethod = Literal["usage", "even", "hybrid"]
UsageMetric = Literal["total", "request", "response"]
Spread = Literal["unallocated", "allocated_cost", "even_active_principals", "principal", "team"]
RuleName = Rule


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


GovernanceSplitName = Literal["key_holders", "schema_owners"]


class GovernanceSplit(_Strict):
    """How a Stream Governance line (Schema Registry / governance package, rule `governance`) is split.

    `key_holders` (default): evenly over the principals holding API keys for the registry. `schema_owners`: by
    schema count over the owners the registry's schemas carry (catalog tags / business metadata on `sr_schema`
    entities, reason `schema_owner_share`); the share of unowned schemas stays with the key holders."""

    split: GovernanceSplitName = "key_holders"


TopicMetric = Literal["received", "sent", "retained", "throughput"]


class TopicSplit(_Strict):
    """How a cluster line is split over the cluster's topics (the topic view).

    `usage`: by each topic's bytes (`metric`: received = produce, sent = fetch, retained = stored, throughput =
    received + sent), hour by hour; `even`: evenly over the cluster's active topics (topics with bytes that day);
    `hybrid`: `usage_ratio` by usage, the rest evenly."""

    method: SplitMethod
    metric: TopicMetric = "throughput"
    usage_ratio: float = Field(default=0.5, ge=0.0, le=1.0)


def _defaults():
    """The default shared, topic splits and usage-driven line types, from the line-type table."""
    shared = {t.line_type: SharedSplit(method=t.shared_split.method,
                                       **({"metric": t.shared_split.metric} if t.shared_split.metric else {}),
                                       **({"usage_ratio": t.shared_split.usage_ratio}
                                          if t.shared_split.usage_ratio is not None else {}))
              for t in LINE_TYPES if t.shared_split}
    topic = {t.line_type: TopicSplit(method=t.topic_split.method,
                                     **({"metric": t.topic_split.metric} if t.topic_split.metric else {}),
                                     **({"usage_ratio": t.topic_split.usage_ratio}
                                        if t.topic_split.usage_ratio is not None else {}))
             for t in LINE_TYPES if t.topic_split}
    return shared, topic, tuple(t.line_type for t in LINE_TYPES if t.usage_driven)


DEFAULT_SHARED_SPLITS, DEFAULT_TOPIC_SPLITS, DEFAULT_USAGE_DRIVEN = _defaults()
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
    # Stream Governance lines
    governance_splits: dict[str, GovernanceSplit] = Field(default_factory=dict)
    default_governance_split: GovernanceSplit = Field(default_factory=GovernanceSplit)

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

    @field_validator("no_resource_rules", "line_type_rules", "governance_splits", mode="before")
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

    def governance_split(self, line_type: str) -> GovernanceSplit:
        return self.governance_splits.get(line_type, self.default_governance_split)

    def no_resource_rule(self, line_type: str) -> DistributionRule:
        return self.no_resource_rules.get(line_type, self.default_no_resource_rule)


def load_allocation_config(path: str | Path | None) -> AllocationConfig:
    """The rules file at `path`; None → defaults. Malformed → ConfigError (one line: file, line, key)."""
    if path is None or str(path).strip() == "":
        return AllocationConfig()
    return load_yaml_model(path, AllocationConfig, "allocation rules file")

"""Every bill line type the portal knows, as data: one `LineTypeSpec` row per Confluent `line_type`.

Adding a line type that an existing rule can allocate is one row here (and a line in docs/ALLOCATION.md). Derived
from this table, never listed again:

- `RULE_OF_LINE_TYPE` (allocation/registry.py): which `rules/<rule>.py` allocates the line;
- the default shared splits (`AllocationConfig.shared_splits`) and topic splits (`AllocationConfig.topic_splits`);
- the usage-driven line types (hours follow the measured bytes: allocation/hours.py);
- the principal-usage metric a line is split by (network write = request bytes, read = response bytes; shared
  lines the metric of their split);
- the org-level line types (never about one of the org's resources: `no_resource` even when the line names one);
- the product of a line type (test builders) and its unit (the FOCUS export's PricingUnit for rows without one).

Pure data: no import from the rest of the package, so configuration, rules and the simulator can all read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Rule = Literal["kafka_network", "kafka_shared", "connect", "ksqldb", "flink", "governance", "no_resource",
               "fallback"]
Method = Literal["usage", "even", "hybrid"]
PrincipalMetric = Literal["total", "request", "response"]
TopicMetric = Literal["received", "sent", "retained", "throughput"]


@dataclass(frozen=True)
class Split:
    """A default split: `method` usage | even | hybrid, the usage `metric`, and the usage share of a hybrid."""

    method: Method
    metric: str | None = None
    usage_ratio: float | None = None


@dataclass(frozen=True)
class LineTypeSpec:
    line_type: str
    product: str
    rule: Rule
    # principal view: the usage metric of rules that split by principal bytes (kafka_network), and the default
    # split of shared cluster costs (kafka_shared; None → AllocationConfig.default_shared_split)
    metric: PrincipalMetric | None = None
    shared_split: Split | None = None
    # topic view: the default split of a Kafka-cluster line over its topics (None → default_topic_split: even)
    topic_split: Split | None = None
    # the line's hours follow the measured usage (else the flat or configured hour shape)
    usage_driven: bool = False
    # billed on the organization (support, credits, audit log): never one of the org's resources
    org_level: bool = False
    # Confluent's unit of the line's quantity in the FOCUS UnitFormat, for rows billed without one
    unit: str | None = None


def _s(method: Method, metric: str | None = None, usage_ratio: float | None = None) -> Split:
    return Split(method, metric, usage_ratio)


LINE_TYPES: tuple[LineTypeSpec, ...] = (
    # rules/kafka_network.py: each principal's bytes, hour by hour
    LineTypeSpec("KAFKA_NETWORK_READ", "KAFKA", "kafka_network", unit="GB", metric="response",
                 topic_split=_s("usage", "sent"), usage_driven=True),
    LineTypeSpec("KAFKA_NETWORK_WRITE", "KAFKA", "kafka_network", unit="GB", metric="request",
                 topic_split=_s("usage", "received"), usage_driven=True),
    # rules/kafka_shared.py: shared cluster costs, configurable split (usage | even | hybrid)
    LineTypeSpec("KAFKA_BASE", "KAFKA", "kafka_shared", unit="Hours", shared_split=_s("even")),
    LineTypeSpec("KAFKA_NUM_CKUS", "KAFKA", "kafka_shared", unit="CKU-Hours", shared_split=_s("hybrid", usage_ratio=0.7),
                 topic_split=_s("usage", "throughput")),
    LineTypeSpec("KAFKA_NUM_CKU", "KAFKA", "kafka_shared", unit="CKU-Hours", shared_split=_s("hybrid", usage_ratio=0.7),
                 topic_split=_s("usage", "throughput")),
    LineTypeSpec("KAFKA_PARTITION", "KAFKA", "kafka_shared", unit="Partition-Hours", shared_split=_s("even")),
    LineTypeSpec("KAFKA_STORAGE", "KAFKA", "kafka_shared", unit="GB-Hours", shared_split=_s("usage", "request"),
                 topic_split=_s("usage", "retained")),
    LineTypeSpec("KAFKA_REST_PRODUCE", "KAFKA", "kafka_shared", unit="GB", shared_split=_s("usage", "request"),
                 topic_split=_s("usage", "received"), usage_driven=True),
    LineTypeSpec("KAFKA_STREAMS", "KAFKA", "kafka_shared", shared_split=_s("usage"), usage_driven=True),
    LineTypeSpec("CLUSTER_LINKING_PER_LINK", "CLUSTER_LINK", "kafka_shared", unit="Link-Hours", shared_split=_s("even")),
    LineTypeSpec("CLUSTER_LINKING_READ", "CLUSTER_LINK", "kafka_shared", unit="GB", shared_split=_s("usage", "response"),
                 topic_split=_s("usage", "sent"), usage_driven=True),
    LineTypeSpec("CLUSTER_LINKING_WRITE", "CLUSTER_LINK", "kafka_shared", unit="GB", shared_split=_s("usage", "request"),
                 topic_split=_s("usage", "received"), usage_driven=True),
    LineTypeSpec("TABLEFLOW_DATA_PROCESSED", "TABLEFLOW", "kafka_shared", unit="GB", shared_split=_s("usage", "request"),
                 usage_driven=True),
    LineTypeSpec("TABLEFLOW_NUM_TOPICS", "TABLEFLOW", "kafka_shared", unit="Topic-Hours", shared_split=_s("even")),
    LineTypeSpec("TABLEFLOW_STORAGE", "TABLEFLOW", "kafka_shared", unit="GB-Hours", shared_split=_s("usage", "request")),
    LineTypeSpec("USM_CONNECTED_NODE", "USM", "kafka_shared"),
    # rules/connect.py: the connector's identity
    LineTypeSpec("CONNECT_CAPACITY", "CONNECT", "connect", unit="Hours"),
    LineTypeSpec("CONNECT_NUM_TASKS", "CONNECT", "connect", unit="Task-Hours"),
    LineTypeSpec("CONNECT_THROUGHPUT", "CONNECT", "connect", unit="GB", usage_driven=True),
    LineTypeSpec("CONNECT_NUM_RECORDS", "CONNECT", "connect", usage_driven=True),
    LineTypeSpec("CUSTOM_CONNECT_NUM_TASKS", "CUSTOM_CONNECT", "connect", unit="Task-Hours"),
    LineTypeSpec("CUSTOM_CONNECT_THROUGHPUT", "CUSTOM_CONNECT", "connect", unit="GB", usage_driven=True),
    # rules/ksqldb.py: the ksqlDB cluster's credential identity
    LineTypeSpec("KSQL_NUM_CSUS", "KSQL", "ksqldb", unit="CSU-Hours"),
    LineTypeSpec("KSQL_NUM_CSU", "KSQL", "ksqldb", unit="CSU-Hours"),
    # rules/flink.py: the compute pool's statements by their CFUs, else the pool's owner
    LineTypeSpec("FLINK_NUM_CFUS", "FLINK", "flink", unit="CFU-Minutes"),
    LineTypeSpec("FLINK_NUM_CFU", "FLINK", "flink", unit="CFU-Minutes"),
    # rules/governance.py: Schema Registry key holders (or schema owners), else the environment's owner
    LineTypeSpec("GOVERNANCE_BASE", "STREAM_GOVERNANCE", "governance", unit="Hours"),
    LineTypeSpec("SCHEMA_REGISTRY", "STREAM_GOVERNANCE", "governance", unit="Schema-Hours"),
    LineTypeSpec("NUM_RULES", "STREAM_GOVERNANCE", "governance"),
    # rules/no_resource.py: lines billed on the organization (and any line whose resource is missing)
    LineTypeSpec("SUPPORT", "SUPPORT_CLOUD_BUSINESS", "no_resource", org_level=True),
    LineTypeSpec("PROMO_CREDIT", "PROMO_CREDIT", "no_resource", org_level=True),
    LineTypeSpec("AUDIT_LOG_READ", "AUDIT_LOG", "no_resource", unit="GB", org_level=True),
)

LINE_TYPE: dict[str, LineTypeSpec] = {s.line_type: s for s in LINE_TYPES}
if len(LINE_TYPE) != len(LINE_TYPES):  # pragma: no cover - a duplicated row is a programming error
    raise ValueError("a line type is listed twice in LINE_TYPES")


def spec_of(line_type: str) -> LineTypeSpec | None:
    return LINE_TYPE.get(line_type)

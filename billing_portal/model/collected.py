"""What the portal collects and keeps as it came: the bill (restatable history), usage captured from the Metrics API
while it exists (short-retention history), the rows that could not be used, and the bookkeeping of observations and
captures.

Derived from here: the normalised billing frames (confluent/normalize.py), the usage frames of the Metrics API,
Prometheus and the warehouse readers (their Arrow schemas), the quarantine frames.
"""

from __future__ import annotations

from billing_portal.model.schema import Column, Table, amount, text

_DAY = Column("usage_date", "date", "time", False)
_HOUR = Column("hour", "timestamp with time zone", "time", False)


def _bill(name: str, description: str, asset: str) -> Table:
    return Table(name=name, kind="bill", description=description, asset=asset, columns=(
        _DAY, Column("line_no", "integer", "key", False), text("line_hash", "attribute", False),
        text("source_id", "attribute"), text("org_id"), text("env_id"), text("resource_id"),
        text("resource_name", "attribute"), text("product", nullable=False), text("line_type", nullable=False),
        text("network_access_type"), text("granularity", "attribute"), Column("price", "numeric", "measure"),
        text("unit", "attribute"), Column("quantity", "numeric", "measure"), amount("original_amount", True),
        amount("discount_amount", True), amount("amount"), text("description", "attribute"),
        Column("tier_dimensions", "jsonb"), Column("raw", "jsonb", nullable=False)))


def _quarantine(name: str, description: str, asset: str | None) -> Table:
    return Table(name=name, kind="bill", description=description, asset=asset, columns=(
        text("source", nullable=False), _DAY, text("reason", nullable=False), amount("amount", True),
        text("raw", "attribute", False), Column("collected_at", "timestamp with time zone", "bookkeeping", False)))


BILLING_COSTS = _bill("billing_costs", "The bill as allocated: one row per bill line after de-duplication, published "
                                       "with the facts allocated from it.", "hourly_cost_facts")
BILLING_COSTS_COLLECTED = _bill("billing_costs_collected", "The bill as last collected (the next allocation's "
                                                           "input).", "billing_costs")
QUARANTINE_ROWS = _quarantine("quarantine_rows", "Input rows that could not be used, with the reason (and the "
                                                 "amount, so billed = allocated + quarantined).", None)
BILLING_QUARANTINE_COLLECTED = _quarantine("billing_quarantine_collected", "Bill rows of the last collection that "
                                                                           "could not be used.", "billing_costs")


def _bytes(name: str) -> Column:
    return Column(name, "double precision", "measure", False)


PRINCIPAL_USAGE_HOURLY = Table(name="principal_usage_hourly", kind="usage", asset="principal_usage", description=(
    "Bytes produced (request) and fetched (response) per hour, Kafka cluster and principal (Metrics API)."),
    columns=(_DAY, _HOUR, text("cluster_id", nullable=False), text("principal_id", nullable=False),
             _bytes("request_bytes"), _bytes("response_bytes")))

TOPIC_USAGE_HOURLY = Table(name="topic_usage_hourly", kind="usage", asset="topic_usage", description=(
    "Bytes received, sent and retained per hour, Kafka cluster and topic (Metrics API)."),
    columns=(_DAY, _HOUR, text("cluster_id", nullable=False), text("topic", nullable=False),
             _bytes("received_bytes"), _bytes("sent_bytes"), _bytes("retained_bytes")))

FLINK_STATEMENT_USAGE_HOURLY = Table(name="flink_statement_usage_hourly", kind="usage", asset="flink_statement_usage", description=(
    "CFUs per hour, compute pool and statement (Metrics API statement_utilization/current_cfus)."),
    columns=(_DAY, _HOUR, text("cluster_id", nullable=False), text("statement_name", nullable=False),
             _bytes("cfus")))

USAGE_CAPTURE = Table(name="usage_capture", kind="bookkeeping", description=(
    "Per day, cluster (or pool) and metric set: when and from which source usage was captured, and whether the day "
    "was complete then. A complete capture is never replaced."),
    columns=(_DAY, text("cluster_id", nullable=False), text("source", "attribute", False),
             Column("captured_at", "timestamp with time zone", "bookkeeping", False),
             Column("complete", "boolean", "bookkeeping", False), Column("row_count", "integer", "measure", False),
             _bytes("request_bytes"), _bytes("response_bytes"), text("run_id", "bookkeeping"),
             text("metric_set", nullable=False)))

OBSERVATIONS = Table(name="observations", kind="bookkeeping", day_column=None, description=(
    "Each collection of present-only state (objects, catalog, Flink statements): when, what it saw, what changed, "
    "which scopes it could not read."),
    columns=(Column("observation_id", "bigint", "key", False), text("source", nullable=False),
             Column("observed_at", "timestamp with time zone", "time", False), text("run_id", "bookkeeping"),
             Column("counts", "jsonb"), Column("changes", "jsonb"), Column("skipped", "jsonb")))

COLLECTED_TABLES: tuple[Table, ...] = (BILLING_COSTS, BILLING_COSTS_COLLECTED, QUARANTINE_ROWS,
                                       BILLING_QUARANTINE_COLLECTED, PRINCIPAL_USAGE_HOURLY, TOPIC_USAGE_HOURLY,
                                       FLINK_STATEMENT_USAGE_HOURLY, USAGE_CAPTURE, OBSERVATIONS)

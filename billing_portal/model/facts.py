"""The fact tables: every billed dollar of a day on an hour and a payer — a principal (`hourly_cost_facts`) or a
topic (`hourly_topic_facts`) — with its business owners, how it was allocated and how sure we are.

Derived from here, never listed again: the write path's COPY column order, the allocation's output frames
(`frame_columns`: amounts as int64 `amount_units`, no write-time `fact_no`), the API's fact fields and its filter and
group-by dimensions, the rollups' column types.

Roles: `time` (the day and the hour of a fact), `key` (the fact's number within its day and its bill line),
`dimension` (what the API filters and groups by), `amount` (USD, NUMERIC(20,8)).
"""

from __future__ import annotations

from billing_portal.model.schema import Column, FactTable, amount, text

_TIME_AND_KEYS = (Column("usage_date", "date", "time", False), Column("hour", "timestamp with time zone", "time", False),
                  Column("fact_no", "integer", "key", False), Column("line_no", "integer", "key", False))
# Who a cost belongs to: a payer's owner and business attributes (unknown when nobody says)
OWNER_COLUMNS = ("owner", "team", "business_unit", "business_product", "cost_center")
_OWNERS = tuple(text(c) for c in OWNER_COLUMNS)
_ALLOCATION = (text("allocation_method", nullable=False), text("allocation_reason", nullable=False),
               text("confidence", nullable=False))

HOURLY_COST_FACTS = FactTable(
    name="hourly_cost_facts", asset="hourly_cost_facts", partition_key="hour",
    description="The principal view: each bill line spread over its hours and the principals that used it.",
    columns=(*_TIME_AND_KEYS, text("org_id"), text("env_id"), text("resource_id"), text("resource_type"),
             text("cluster_id"), text("product", nullable=False), text("line_type", nullable=False),
             text("principal_id", nullable=False), text("principal_type"), *_OWNERS, amount("amount_usd"),
             *_ALLOCATION))

HOURLY_TOPIC_FACTS = FactTable(
    name="hourly_topic_facts", asset="hourly_topic_facts", partition_key="hour",
    description="The topic view: each Kafka-cluster bill line spread over its hours and the cluster's topics.",
    columns=(*_TIME_AND_KEYS, text("org_id"), text("env_id"), text("cluster_id", nullable=False),
             text("product", nullable=False), text("line_type", nullable=False), text("topic", nullable=False),
             *_OWNERS, amount("amount_usd"), *_ALLOCATION))

FACT_TABLES: tuple[FactTable, ...] = (HOURLY_COST_FACTS, HOURLY_TOPIC_FACTS)

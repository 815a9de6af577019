"""The rollups of the fact tables, rebuilt with each day's facts in the same transaction: the relations readers
aggregate from instead of the facts (the sidecar's summaries, dimensions and /metrics gauges, every Grafana panel).

Each is its fact table grouped by the day (and the hour, for an hourly rollup) and `group_by`; its columns follow
(model/schema.py `RollupTable`). `rank` orders them cheapest first: a reader takes the first rollup of its fact table
that holds every dimension it groups or filters by at a fine enough grain (sidecar/query.py `pick_source`).
"""

from __future__ import annotations

from billing_portal.model.facts import HOURLY_COST_FACTS, HOURLY_TOPIC_FACTS
from billing_portal.model.schema import RollupTable

_BUSINESS = ("team", "business_unit", "business_product", "cost_center")

COST_DAILY_BUSINESS = RollupTable(
    name="cost_daily_business", source=HOURLY_COST_FACTS, grain="day", rank=0,
    description="Day × product × business attributes (no principal, resource or cluster): business units, teams, "
                "cost centers.",
    group_by=("product", *_BUSINESS, "confidence"))

COST_DAILY_PRINCIPAL = RollupTable(
    name="cost_daily_principal", source=HOURLY_COST_FACTS, grain="day", rank=1,
    description="Day × principal with the principal's business attributes.",
    group_by=("principal_id", "principal_type", "owner", *_BUSINESS))

COST_DAILY = RollupTable(
    name="cost_daily", source=HOURLY_COST_FACTS, grain="day", rank=2, partition_key="usage_date",
    description="Day grain with every dimension but the hour (resource, principal and allocation included): day, "
                "month and total aggregates that need a principal or a resource, and the confidence KPIs.",
    group_by=("org_id", "env_id", "cluster_id", "resource_id", "resource_type", "product", "line_type",
              "principal_id", "principal_type", "owner", *_BUSINESS, "confidence", "allocation_method",
              "allocation_reason"))

COST_HOURLY_TEAM = RollupTable(
    name="cost_hourly_team", source=HOURLY_COST_FACTS, grain="hour", rank=3, partition_key="hour",
    description="Hour grain with what its readers group and filter by: the /metrics samples (org, environment, "
                "cluster, product, business unit, team, cost center) and Grafana's hourly series.",
    group_by=("org_id", "env_id", "cluster_id", "product", "team", "business_unit", "cost_center"))

TOPIC_COST_DAILY = RollupTable(
    name="topic_cost_daily", source=HOURLY_TOPIC_FACTS, grain="day", rank=0,
    description="Day grain of the topic view with every dimension of its facts.",
    group_by=HOURLY_TOPIC_FACTS.dimensions)

ROLLUP_TABLES: tuple[RollupTable, ...] = (COST_DAILY, COST_HOURLY_TEAM, COST_DAILY_BUSINESS, COST_DAILY_PRINCIPAL,
                                          TOPIC_COST_DAILY)


def rollups_of(facts: str) -> tuple[RollupTable, ...]:
    """The rollups of one fact table, cheapest first (day grain before hour grain at equal rank)."""
    return tuple(sorted((r for r in ROLLUP_TABLES if r.source.name == facts), key=lambda r: (r.grain == "hour",
                                                                                             r.rank)))

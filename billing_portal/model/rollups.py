"""The rollups of the fact tables, rebuilt with each day's facts in the same transaction: the relations readers
aggregate from instead of the facts (the sidecar's summaries, dimensions and /metrics gauges, every Grafana panel).

Each is its fact table grouped by the day (and the hour, for an hourly rollup) and `group_by`; its columns follow
(model/schema.py `RollupTable`). `rank` orders them cheapest first: a reader takes the first rollup of its fact table
that holds every dimension it groups or filters by at a fine enough grain (sidecar/query.py `pick_source`).

Rollups with `of` are summed from another rollup, not from the facts (warehouse/derived_rollups.py, called by each
view's writer after its day rollups are in): the topic view's business rollup from `topic_cost_daily`, and the
month rollups, one per small day rollup, which let a summary of a year read twelve months instead of 365 days
(sidecar/query.py `summary_statement`).
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
    name="topic_cost_daily", source=HOURLY_TOPIC_FACTS, grain="day", rank=1,
    description="Day grain of the topic view with every dimension of its facts.",
    group_by=HOURLY_TOPIC_FACTS.dimensions)

TOPIC_COST_DAILY_BUSINESS = RollupTable(
    name="topic_cost_daily_business", source=HOURLY_TOPIC_FACTS, grain="day", rank=0, of=TOPIC_COST_DAILY,
    description="Day × product × the topics' business attributes (no topic, cluster or line type): the topic view's "
                "summaries by team, business unit, data product, cost center (as cost_daily_business is for the "
                "principal view).",
    group_by=("product", *_BUSINESS, "confidence"))


def _monthly(name: str, day: RollupTable) -> RollupTable:
    return RollupTable(name=name, source=day.source, grain="month", rank=day.rank, of=day, group_by=day.group_by,
                       description=f"Month × the dimensions of {day.name}, summed from its days.")


COST_MONTHLY_BUSINESS = _monthly("cost_monthly_business", COST_DAILY_BUSINESS)
COST_MONTHLY_PRINCIPAL = _monthly("cost_monthly_principal", COST_DAILY_PRINCIPAL)
TOPIC_COST_MONTHLY_BUSINESS = _monthly("topic_cost_monthly_business", TOPIC_COST_DAILY_BUSINESS)

ROLLUP_TABLES: tuple[RollupTable, ...] = (COST_DAILY, COST_HOURLY_TEAM, COST_DAILY_BUSINESS, COST_DAILY_PRINCIPAL,
                                          TOPIC_COST_DAILY, TOPIC_COST_DAILY_BUSINESS, COST_MONTHLY_BUSINESS,
                                          COST_MONTHLY_PRINCIPAL, TOPIC_COST_MONTHLY_BUSINESS)


def _cheapest_first(rollups) -> tuple[RollupTable, ...]:
    """By rank, day grain before hour grain at equal rank."""
    return tuple(sorted(rollups, key=lambda r: (r.grain == "hour", r.rank)))


def rollups_of(facts: str) -> tuple[RollupTable, ...]:
    """The rollups of one fact table summed from its facts (its writer's), cheapest first (day grain before hour
    grain at equal rank)."""
    return _cheapest_first(r for r in ROLLUP_TABLES if r.source.name == facts and r.of is None)


def derived_rollups_of(facts: str) -> tuple[RollupTable, ...]:
    """The rollups of one fact table summed from another of its rollups, each after the one it is summed from (the
    order they are refreshed in)."""
    out: list[RollupTable] = []
    pending = [r for r in ROLLUP_TABLES if r.source.name == facts and r.of is not None]
    while pending:
        ready = [r for r in pending if r.of.of is None or r.of in out]
        if not ready:  # pragma: no cover - a cycle is a programming error
            raise ValueError(f"derived rollups of {facts} form a cycle")
        out.extend(ready)
        pending = [r for r in pending if r not in ready]
    return tuple(out)


def readable_rollups_of(facts: str) -> tuple[RollupTable, ...]:
    """The day and hour rollups a reader of one fact table chooses from (whatever writes them), cheapest first."""
    return _cheapest_first(r for r in ROLLUP_TABLES if r.source.name == facts and r.grain != "month")


def month_rollup_of(day: RollupTable) -> RollupTable | None:
    """The month rollup summed from a day rollup, if it has one."""
    return next((r for r in ROLLUP_TABLES if r.grain == "month" and r.of is day), None)

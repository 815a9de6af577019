"""The topic view: every line billed on a Kafka cluster split over the cluster's topics, hour by hour, with owners
from the topics' catalog tags and business metadata and the mapping file's topic rules (billing_portal/allocation/
topics.py, ownership/topics.py). Reads the bill the principal facts published (so both views split the same bill),
the captured topic usage and the catalog history; never collects anything."""


import time

import pandas as pd
import pyarrow as pa
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    MaterializeResult,
    MetadataValue,
    asset,
)
from psycopg import sql

from billing_portal.defs.inputs import read_catalog, read_usage_sources
from billing_portal.defs.partitions import DAILY, SINGLE_RUN, day_bounds, window_days
from billing_portal.defs.writes import replace_day_tables
from billing_portal.model.rollups import TOPIC_COST_DAILY
from billing_portal.model.tables import CATALOG_TABLES, HOURLY_TOPIC_FACTS, deps_reading
from billing_portal.money import to_units, units_to_text_arrow
from billing_portal.resources import AllocationRulesResource, ClockResource, ConfluentCloudResource, WarehouseResource
from billing_portal.warehouse.copy import copy_frame
from billing_portal.warehouse.replace import swap_day_partition

TOPIC_FACT_TABLE_COLUMNS = list(HOURLY_TOPIC_FACTS.names())  # billing_portal/model/tables.py
# every Kafka-cluster line of the published bill against the topic facts of the day, per line
_RECONCILE = """
SELECT count(*) FILTER (WHERE b.amount IS DISTINCT FROM f.s) AS mismatched,
       coalesce(sum(b.amount), 0) AS billed, coalesce(sum(f.s), 0) AS allocated
FROM (SELECT line_no, amount FROM billing_costs WHERE usage_date = %(day)s AND resource_id LIKE 'lkc-%%') b
FULL JOIN (SELECT line_no, sum(amount_usd) AS s FROM hourly_topic_facts WHERE hour >= %(lo)s AND hour < %(hi)s
           GROUP BY line_no) f USING (line_no)
"""


def read_published_lines(warehouse: WarehouseResource, day) -> pd.DataFrame:
    lines = warehouse.read_frame("SELECT line_no, org_id, env_id, resource_id, product, line_type, amount"
                                 " FROM billing_costs WHERE usage_date = %s ORDER BY line_no", (day,))
    lines["amount_units"] = pd.Series([to_units(a) for a in lines["amount"]], index=lines.index, dtype="int64")
    lines["product"] = lines["product"].astype(str).str.upper()
    lines["line_type"] = lines["line_type"].astype(str).str.upper()
    return lines


def read_topic_usage(warehouse: WarehouseResource, day) -> pd.DataFrame:
    return warehouse.read_frame(
        "SELECT hour, cluster_id, topic, received_bytes, sent_bytes, retained_bytes FROM topic_usage_hourly"
        " WHERE usage_date = %s ORDER BY hour, cluster_id, topic", (day,))


def _load(day, facts: pd.DataFrame):
    def loader(conn, staging: str) -> int:
        if not len(facts):
            return 0
        frame = facts.assign(fact_no=range(len(facts)))
        frame["amount_usd"] = units_to_text_arrow(pa.array(frame["amount_units"].to_numpy())).to_pylist()
        return copy_frame(conn, staging, frame, TOPIC_FACT_TABLE_COLUMNS)

    return loader


def _rollup(day):
    dims = sql.SQL(", ").join(sql.Identifier(d) for d in TOPIC_COST_DAILY.group_by)

    def step(conn, staging: str) -> None:
        conn.execute("DELETE FROM topic_cost_daily WHERE usage_date = %s", (day,))
        conn.execute(sql.SQL("INSERT INTO topic_cost_daily (usage_date, {dims}, amount_usd, charges_usd, fact_rows)"
                             " SELECT %s, {dims}, sum(amount_usd),"
                             " coalesce(sum(amount_usd) FILTER (WHERE amount_usd > 0), 0), count(*)"
                             " FROM {t} GROUP BY {dims}").format(
            dims=dims, t=sql.Identifier(staging)), (day,))

    return step


@asset(partitions_def=DAILY, backfill_policy=SINGLE_RUN, group_name="allocation", kinds={"postgres"},
       deps=deps_reading("billing_costs", "topic_usage_hourly", *CATALOG_TABLES, "users"),
       check_specs=[AssetCheckSpec("topic_reconciliation", asset="hourly_topic_facts", blocking=True,
                                   description="ERROR unless, per day and per Kafka-cluster bill line, the topic "
                                               "facts equal the bill.")])
def hourly_topic_facts(context: AssetExecutionContext, warehouse: WarehouseResource,
                       allocation_rules: AllocationRulesResource, clock: ClockResource,
                       confluent: ConfluentCloudResource) -> MaterializeResult:
    """Table hourly_topic_facts (one row per Kafka-cluster bill line, hour and topic), its rollup topic_cost_daily
    and topic_attribution."""
    from billing_portal.allocation.topics import UNALLOCATED_TOPIC, TopicDay, allocate_topics
    from billing_portal.ownership.frames import CatalogData
    from billing_portal.ownership.topics import resolve_topics

    config, mapping = allocation_rules.config(), allocation_rules.mapping()
    days = window_days(context)
    bad, rows_total, billed_total, unallocated_total = [], 0, 0, 0
    t0 = time.perf_counter()
    timings = {"read_s": 0.0, "allocate_s": 0.0, "write_s": 0.0}
    for day in days:
        t_read = time.perf_counter()
        lines = read_published_lines(warehouse, day)
        usage = read_topic_usage(warehouse, day)
        cat = read_catalog(warehouse, day)
        catalog = CatalogData(entities=cat["catalog_entities"], tags=cat["catalog_tags"],
                              business_metadata=cat["catalog_business_metadata"])
        known = pd.concat([usage[["cluster_id", "topic"]],
                           cat["catalog_entities"].loc[cat["catalog_entities"]["entity_type"] == "kafka_topic",
                                                       ["cluster_id", "topic"]]], ignore_index=True)
        emails = warehouse.read_frame("SELECT email FROM users WHERE snapshot_date = %s AND email IS NOT NULL",
                                      (day,))["email"].tolist()
        attribution = resolve_topics(known, catalog, mapping, emails)
        clusters = [c for c in lines["resource_id"].dropna().unique() if str(c).startswith("lkc-")]
        sources = read_usage_sources(warehouse, day, clusters, clock.current(), confluent.metrics_retention_days,
                                     metric_set="topic")
        expired = frozenset(c for c, s in sources.items() if s == "expired")
        t_alloc = time.perf_counter()
        facts = allocate_topics(TopicDay(day, lines, usage, attribution, expired), config)
        t_write = time.perf_counter()
        lo, hi = day_bounds(day)
        with warehouse.transaction(partition=("hourly_topic_facts", day)) as conn:
            replace_day_tables(conn, day, {"topic_attribution": attribution}, "usage_date")
            rows = swap_day_partition(conn, "hourly_topic_facts", day, _load(day, facts), after_load=[_rollup(day)])
            rec = conn.execute(_RECONCILE, {"day": day, "lo": lo, "hi": hi}).fetchone()
            unallocated = int(facts.loc[facts["topic"] == UNALLOCATED_TOPIC, "amount_units"].sum()) if len(facts) \
                else 0
            warehouse.record_status(conn, "hourly_topic_facts", day, rows, rec[2], context.run.run_id,
                                    {"mismatched_lines": int(rec[0]), "billed_usd": str(rec[1]),
                                     "unallocated_topic_units": unallocated})
        t_end = time.perf_counter()
        timings["read_s"] += t_alloc - t_read
        timings["allocate_s"] += t_write - t_alloc
        timings["write_s"] += t_end - t_write
        if rec[0]:
            bad.append({"day": day.isoformat(), "mismatched_lines": int(rec[0]), "billed_usd": str(rec[1]),
                        "allocated_usd": str(rec[2])})
        rows_total += rows
        billed_total += int(lines.loc[lines["resource_id"].astype(str).str.startswith("lkc-"), "amount_units"].sum())
        unallocated_total += unallocated
    share = (abs(unallocated_total) / abs(billed_total)) if billed_total else 0.0
    return MaterializeResult(
        metadata={"topic_fact_rows": MetadataValue.int(rows_total), "days": MetadataValue.int(len(days)),
                  "unallocated_topic_share": MetadataValue.float(round(share, 6)),
                  "seconds": MetadataValue.float(round(time.perf_counter() - t0, 3)),
                  "topic_timings_s": MetadataValue.json({k: round(v, 3) for k, v in timings.items()})},
        check_results=[AssetCheckResult(check_name="topic_reconciliation", passed=not bad,
                                        severity=AssetCheckSeverity.ERROR,
                                        metadata={"days_failing": MetadataValue.json(bad),
                                                  "days_checked": MetadataValue.int(len(days))})])

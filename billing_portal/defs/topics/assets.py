"""The topic view: every line billed on a Kafka cluster split over the cluster's topics, hour by hour, with owners
from the topics' catalog tags and business metadata and the mapping file's topic rules (billing_portal/allocation/
topics.py, ownership/topics.py). Reads the bill the principal facts published (so both views split the same bill),
the captured topic usage and the catalog history; never collects anything."""


import time
from decimal import Decimal

import numpy as np
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

from billing_portal.defs.inputs import read_catalog, read_usage_sources
from billing_portal.defs.partitions import DAILY, SINGLE_RUN, window_days
from billing_portal.defs.pipelining import prepared_days
from billing_portal.defs.writes import replace_day_tables
from billing_portal.model.rollups import TOPIC_COST_DAILY
from billing_portal.model.tables import CATALOG_TABLES, HOURLY_TOPIC_FACTS, deps_reading
from billing_portal.money import from_units, to_units
from billing_portal.resources import AllocationRulesResource, ClockResource, ConfluentCloudResource, WarehouseResource
from billing_portal.warehouse.copy import copy_table_text, day_columns
from billing_portal.warehouse.derived_rollups import refresh_derived_rollups
from billing_portal.warehouse.replace import swap_day_partition
from billing_portal.warehouse.rollups import aggregate_rollup, write_rollups

TOPIC_FACT_TABLE_COLUMNS = list(HOURLY_TOPIC_FACTS.names())  # billing_portal/model/tables.py


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


def _converters(day) -> dict:
    """The columns the allocation does not hold: the day, the fact's number (its position in hour, line, topic
    order) and the amount as exact NUMERIC text."""
    return day_columns(day, {"amount_usd": "amount_units"}, number="fact_no")


def _load(day, facts: pa.Table):
    def loader(conn, staging: str) -> int:
        return copy_table_text(conn, staging, facts, [c for c in TOPIC_FACT_TABLE_COLUMNS if c != "usage_date"],
                               converters=_converters(day), freeze=True)

    return loader


def _rollup(day, facts: pa.Table):
    """topic_cost_daily of the day from the facts in memory (Arrow hash group-by, exact int64 sums; DELETE + COPY),
    instead of a GROUP BY of the staged partition."""
    def step(conn, staging: str) -> None:
        write_rollups(conn, day, {TOPIC_COST_DAILY.name: aggregate_rollup(TOPIC_COST_DAILY, facts)},
                      rollups=(TOPIC_COST_DAILY,))

    return step


def reconcile(lines: pd.DataFrame, facts: pa.Table) -> tuple[int, Decimal, Decimal]:
    """Every Kafka-cluster line of the published bill (`lines`, as `read_published_lines` reads them) against the
    sum of its topic facts: (lines whose amount differs from their facts' sum, billed, allocated) — the row of

        SELECT count(*) FILTER (WHERE b.amount IS DISTINCT FROM f.s), coalesce(sum(b.amount), 0),
               coalesce(sum(f.s), 0)
        FROM (bill lines with resource_id LIKE 'lkc-%') b
        FULL JOIN (SELECT line_no, sum(amount_usd) AS s FROM the day's topic facts GROUP BY line_no) f USING (line_no)

    computed from the facts in memory (exact int64 units; a line without facts, or facts without a line, counts as
    a mismatch)."""
    on_cluster = lines["resource_id"].astype(str).str.startswith("lkc-").to_numpy(dtype=bool)
    b_no = lines["line_no"].to_numpy(np.int64)[on_cluster]
    b_amount = lines["amount_units"].to_numpy(np.int64)[on_cluster]
    if facts.num_rows:
        per_line = facts.select(["line_no", "amount_units"]).group_by("line_no", use_threads=False).aggregate(
            [("amount_units", "sum")])
        f_no = per_line.column("line_no").to_numpy().astype(np.int64)
        f_sum = per_line.column("amount_units_sum").to_numpy().astype(np.int64)
    else:
        f_no = f_sum = np.zeros(0, dtype=np.int64)
    order = np.argsort(f_no, kind="stable")
    f_no, f_sum = f_no[order], f_sum[order]
    if len(f_no):
        pos = np.minimum(np.searchsorted(f_no, b_no), len(f_no) - 1)
        matched = f_no[pos] == b_no
        s_of_b = np.where(matched, f_sum[pos], 0)
    else:
        matched, s_of_b = np.zeros(len(b_no), dtype=bool), np.zeros(len(b_no), dtype=np.int64)
    f_only = ~np.isin(f_no, b_no)  # facts of a line the bill does not have
    mismatched = int((~matched).sum() + (matched & (b_amount != s_of_b)).sum() + f_only.sum())
    # sums as Python integers: exact whatever their size
    billed = from_units(sum(b_amount.tolist())) if len(b_no) else Decimal(0)
    allocated = (from_units(sum(s_of_b[matched].tolist()) + sum(f_sum[f_only].tolist()))
                 if matched.any() or f_only.any() else Decimal(0))
    return mismatched, billed, allocated


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
    from billing_portal.allocation.topics import UNALLOCATED_TOPIC, TopicDay, allocate_topic_table
    from billing_portal.ownership.frames import CatalogData
    from billing_portal.ownership.topics import resolve_topics

    config, mapping = allocation_rules.config(), allocation_rules.mapping()
    days = window_days(context)
    bad, rows_total, billed_total, unallocated_total = [], 0, 0, 0
    t0 = time.perf_counter()
    timings = {"read_s": 0.0, "allocate_s": 0.0, "write_s": 0.0}
    now = clock.current()

    def prepare(day):
        """Read the day's inputs and allocate them (on a thread for every day but the first, while the previous
        day is written: pipelining.py)."""
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
        sources = read_usage_sources(warehouse, day, clusters, now, confluent.metrics_retention_days,
                                     metric_set="topic")
        expired = frozenset(c for c, s in sources.items() if s == "expired")
        t_alloc = time.perf_counter()
        facts = allocate_topic_table(TopicDay(day, lines, usage, attribution, expired), config)
        # the reconciliation, from the facts in memory against the bill lines read above (the published bill)
        rec = reconcile(lines, facts)
        billed = int(lines.loc[lines["resource_id"].astype(str).str.startswith("lkc-"), "amount_units"].sum())
        return (day, attribution, facts, rec, billed, t_alloc - t_read, time.perf_counter() - t_alloc)

    for day, attribution, facts, rec, billed, read_s, allocate_s in prepared_days(days, prepare):
        t_write = time.perf_counter()
        unallocated = _topic_units(facts, UNALLOCATED_TOPIC)
        with warehouse.transaction(partition=("hourly_topic_facts", day)) as conn:
            replace_day_tables(conn, day, {"topic_attribution": attribution}, "usage_date")
            rows = swap_day_partition(conn, "hourly_topic_facts", day, _load(day, facts), day_column="usage_date",
                                      after_load=[_rollup(day, facts)])
            refresh_derived_rollups(conn, HOURLY_TOPIC_FACTS.name, day)  # its business rollup and months
            warehouse.record_status(conn, "hourly_topic_facts", day, rows, rec[2], context.run.run_id,
                                    {"mismatched_lines": int(rec[0]), "billed_usd": str(rec[1]),
                                     "unallocated_topic_units": unallocated})
        timings["read_s"] += read_s
        timings["allocate_s"] += allocate_s
        timings["write_s"] += time.perf_counter() - t_write
        if rec[0]:
            bad.append({"day": day.isoformat(), "mismatched_lines": int(rec[0]), "billed_usd": str(rec[1]),
                        "allocated_usd": str(rec[2])})
        rows_total += rows
        billed_total += billed
        unallocated_total += unallocated
        del facts, attribution
        pa.default_memory_pool().release_unused()
    timings["wall_s"] = time.perf_counter() - t0
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


def _topic_units(facts: pa.Table, topic: str) -> int:
    """The units of the facts on `topic` (0 without any)."""
    if not facts.num_rows:
        return 0
    col = facts.column("topic").combine_chunks()
    if pa.types.is_dictionary(col.type):
        hit = np.flatnonzero(col.dictionary.to_numpy(zero_copy_only=False) == topic)
        if not len(hit):
            return 0
        mask = np.isin(col.indices.fill_null(-1).to_numpy(zero_copy_only=False), hit)
    else:
        mask = col.to_numpy(zero_copy_only=False) == topic
    return int(facts.column("amount_units").to_numpy()[mask].sum())

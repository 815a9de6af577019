"""Hourly cost facts: every billed dollar of a day on an hour, a principal and its business owners, with method,
reason and confidence, summing back to the bill exactly (see docs/ALLOCATION.md for the rules)."""


import time
from decimal import Decimal

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    MaterializeResult,
    MetadataValue,
    asset,
)

from billing_portal.defs.billing.publish import collected_fingerprint, publish_bill
from billing_portal.defs.facts.checks import quarantined_bill, reconcile_facts, stored_figures
from billing_portal.defs.facts.write import write_facts
from billing_portal.defs.inputs import (
    read_attribution,
    read_flink,
    read_lines,
    read_objects,
    read_schema_owners,
    read_usage,
    read_usage_sources,
)
from billing_portal.defs.metadata import usd
from billing_portal.defs.partitions import DAILY, SINGLE_RUN, window_days
from billing_portal.defs.pipelining import prepared_days
from billing_portal.model.tables import OBJECT_TABLES, deps_reading
from billing_portal.resources import AllocationRulesResource, ClockResource, ConfluentCloudResource, WarehouseResource
from billing_portal.resources.warehouse import lock_partition

CHECKS = [
    AssetCheckSpec("reconciliation", asset="hourly_cost_facts", blocking=True,
                   description="ERROR unless, per day, per bill line and per resource × line type, the facts written "
                               "(every row COPYed, as the server counted them) equal the bill."),
    AssetCheckSpec("unallocated_share", asset="hourly_cost_facts",
                   description="WARN when the unallocated share of the days' charges (positive amounts on "
                               "UNALLOCATED over all positive amounts; credits apart) exceeds "
                               "unallocated_share_threshold."),
    AssetCheckSpec("attribution_completeness", asset="hourly_cost_facts",
                   description="Share of the days' charges with a known team, business unit and cost center; WARN "
                               "when the team share is below attribution_completeness_threshold (default 0: "
                               "reported only)."),
    AssetCheckSpec("quarantined_rows", asset="hourly_cost_facts",
                   description="WARN when bill rows were quarantined (kept aside, not allocated) for these days."),
]


# What the allocation reads (defs/inputs.py): the collected bill, usage, attribution, every object table and the Flink
# statements with their usage; the asset's deps are the assets that write them.
READS = ("billing_costs_collected", "principal_usage_hourly", "principal_attribution", "resource_attribution",
         "schema_attribution", *OBJECT_TABLES, "flink_statements", "flink_statement_usage_hourly")


@asset(partitions_def=DAILY, backfill_policy=SINGLE_RUN, group_name="allocation", kinds={"postgres"},
       deps=deps_reading(*READS),
       check_specs=CHECKS)
def hourly_cost_facts(context: AssetExecutionContext, warehouse: WarehouseResource,
                      allocation_rules: AllocationRulesResource, clock: ClockResource,
                      confluent: ConfluentCloudResource) -> MaterializeResult:
    """Allocate each day's bill (tables billing_costs, principal_usage_hourly, *_attribution) into facts."""
    from billing_portal.allocation import DayInputs, allocate_day
    from billing_portal.allocation.inputs import CoreObjects

    config = allocation_rules.config()
    days = window_days(context)
    per_day, restated, timings = [], [], {"read_s": 0.0, "allocate_s": 0.0, "write_s": 0.0}
    write_parts: dict[str, float] = {}
    rows_total = 0
    now = clock.current()

    def prepare(day):
        """Read the day's inputs and allocate them (on a thread for every day but the first, while the previous
        day is written: pipelining.py)."""
        t0 = time.perf_counter()
        with warehouse.connect() as conn:
            bill = collected_fingerprint(conn, day)
        lines = read_lines(warehouse, day)
        principals, resources = read_attribution(warehouse, day)
        org_id = lines["org_id"].dropna().iloc[0] if lines["org_id"].notna().any() else None
        usage = read_usage(warehouse, day)
        billed_clusters = [c for c in lines["resource_id"].dropna().unique() if str(c).startswith("lkc-")]
        sources = read_usage_sources(warehouse, day, billed_clusters, now, confluent.metrics_retention_days)
        flink_usage, statements = read_flink(warehouse, day)
        billed_pools = [c for c in lines["resource_id"].dropna().unique() if str(c).startswith("lfcp-")]
        flink_sources = read_usage_sources(warehouse, day, billed_pools, now, confluent.metrics_retention_days,
                                           metric_set="flink")
        inputs = DayInputs(usage_date=day, org_id=org_id, lines=lines, usage=usage,
                           objects=CoreObjects(**read_objects(warehouse, day)), principals=principals,
                           resources=resources, usage_sources=sources, flink_usage=flink_usage,
                           flink_statements=statements, flink_usage_sources=flink_sources,
                           schema_owners=read_schema_owners(warehouse, day))
        t1 = time.perf_counter()
        result = allocate_day(inputs, config)
        del inputs
        return day, bill, lines, result, t1 - t0, time.perf_counter() - t1

    t_start = time.perf_counter()
    for day, bill, lines, result, read_s, allocate_s in prepared_days(days, prepare):
        t2 = time.perf_counter()
        with warehouse.transaction(partition=("hourly_cost_facts", day)) as conn:
            # The bill is published with its facts; holding its lock keeps another run from collecting it anew.
            lock_partition(conn, "billing_costs", day, warehouse.partition_lock_wait_seconds)
            publish_bill(conn, day, bill)
            rows = write_facts(conn, day, result.table, write_parts)
            # on the rows just COPYed (their count checked by the server), against the bill just published
            rec = reconcile_facts(day, lines, result.table, *quarantined_bill(conn, day))
            prev = warehouse.record_status(conn, "hourly_cost_facts", day, rows, rec.allocated, context.run.run_id,
                                           rec.as_dict())
            t_commit = time.perf_counter()
        del result, lines
        t3 = time.perf_counter()
        write_parts["commit_s"] = write_parts.get("commit_s", 0.0) + t3 - t_commit
        timings["read_s"] += read_s
        timings["allocate_s"] += allocate_s
        timings["write_s"] += t3 - t2
        rows_total += rows
        per_day.append(rec)
        if prev is not None and prev["amount_usd"] is not None and Decimal(prev["amount_usd"]) != rec.allocated:
            restated.append({"day": day.isoformat(), "before_usd": str(prev["amount_usd"]),
                             "after_usd": str(rec.allocated), "before_rows": prev["row_count"], "after_rows": rows})
        context.log.info(f"{day}: {rows} facts, billed {rec.billed} USD, allocated {rec.allocated} USD "
                         f"(read {read_s:.2f} s, allocate {allocate_s:.2f} s, write {t3 - t2:.2f} s)")
    timings["wall_s"] = time.perf_counter() - t_start
    timings.update({f"write_{k}": v for k, v in write_parts.items()})

    billed = sum((r.billed for r in per_day), Decimal(0))
    allocated = sum((r.allocated for r in per_day), Decimal(0))
    unallocated = sum((r.unallocated for r in per_day), Decimal(0))
    quarantined_rows = sum(r.quarantined_rows for r in per_day)
    bad_days = [r.as_dict() for r in per_day if not r.ok]
    # the figures as stored (cost_figures_daily, rebuilt with each day's rollups) by the SQL definitions of
    # migration 0014: the numbers /v1/confidence, /metrics and the dashboards show for these days
    with warehouse.connect() as conn:
        figures, figures_by_day = stored_figures(conn, days)
    threshold = config.unallocated_share_threshold
    share = figures.unallocated_share
    completeness_threshold = config.attribution_completeness_threshold
    team_share = figures.team_completeness
    return MaterializeResult(
        metadata={
            "fact_rows": MetadataValue.int(rows_total),
            "billed_usd": usd(billed),
            "allocated_usd": usd(allocated),
            "unallocated_usd": usd(unallocated),
            "days": MetadataValue.int(len(days)),
            "restated_days": MetadataValue.json(restated),
            "timings_s": MetadataValue.json({k: round(v, 3) for k, v in timings.items()}),
        },
        check_results=[
            AssetCheckResult(check_name="reconciliation", passed=not bad_days, severity=AssetCheckSeverity.ERROR,
                             metadata={"days_checked": MetadataValue.int(len(per_day)),
                                       "days_failing": MetadataValue.json(bad_days),
                                       "billed_usd": usd(billed), "allocated_usd": usd(allocated)}),
            AssetCheckResult(check_name="unallocated_share", passed=share is None or share <= Decimal(str(threshold)),
                             severity=AssetCheckSeverity.WARN,
                             metadata={**_numbers(figures.numbers(
                                 "unallocated_share", "unallocated_charges_usd", "unallocated_credits_usd",
                                 "charges_usd", "credits_usd")), "threshold": MetadataValue.float(threshold),
                                 "first_day": days[0].isoformat(), "last_day": days[-1].isoformat(),
                                 "by_day": MetadataValue.json([
                                     {"day": f.day.isoformat(), **f.numbers("unallocated_share",
                                                                            "unallocated_charges_usd", "credits_usd")}
                                     for f in figures_by_day])}),
            AssetCheckResult(check_name="attribution_completeness",
                             passed=team_share is None or team_share >= Decimal(str(completeness_threshold)),
                             severity=AssetCheckSeverity.WARN,
                             metadata={**_numbers(figures.numbers(
                                 "team_completeness", "business_unit_completeness", "cost_center_completeness",
                                 "charges_usd")), "threshold": MetadataValue.float(completeness_threshold),
                                 "by_day": MetadataValue.json([
                                     {"day": f.day.isoformat(), **f.numbers("team_completeness",
                                                                            "business_unit_completeness",
                                                                            "cost_center_completeness")}
                                     for f in figures_by_day])}),
            AssetCheckResult(check_name="quarantined_rows", passed=quarantined_rows == 0,
                             severity=AssetCheckSeverity.WARN,
                             metadata={"quarantined_rows": MetadataValue.int(quarantined_rows),
                                       "quarantined_usd": usd(sum((r.quarantined for r in per_day), Decimal(0)))}),
        ],
    )


def _numbers(values: dict[str, float | None]) -> dict:
    """Numeric check metadata (Dagster plots floats); a figure without charges to divide by is null."""
    return {k: MetadataValue.null() if v is None else MetadataValue.float(v) for k, v in values.items()}

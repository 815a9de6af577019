"""What the pipeline derives besides the facts and their rollups: who owns what (attribution, per day), the
confidence and the figures of each day, the /metrics publication ledger (and its publications), and what each
asset last wrote.

Derived from here: the attribution frames' columns, the confidence frame's columns.
"""

from __future__ import annotations

from billing_portal.model.schema import Column, Table, amount, text

_DAY = Column("usage_date", "date", "time", False)
_OWNERS = (text("owner"), text("team"), text("business_unit"), text("business_product"), text("cost_center"))
_SOURCE = text("attribution_source", "attribute", False)


def _attribution(name: str, asset: str, description: str, *columns: Column) -> Table:
    return Table(name=name, kind="attribution", asset=asset, description=description,
                 columns=(_DAY, *columns, _SOURCE))


PRINCIPAL_ATTRIBUTION = _attribution(
    "principal_attribution", "ownership", "Each principal's owner, team, business unit, business product and cost center, and "
                             "where that came from.",
    text("principal_id", nullable=False), text("principal_type"), text("display_name", "attribute"), *_OWNERS)
RESOURCE_ATTRIBUTION = _attribution(
    "resource_attribution", "ownership", "Each billed resource's owner and business attributes.",
    text("resource_id", nullable=False), text("resource_type"), text("env_id"), text("cluster_id"),
    text("display_name", "attribute"), text("owner"), text("owner_principal_id"), *_OWNERS[1:])
TOPIC_ATTRIBUTION = _attribution(
    "topic_attribution", "hourly_topic_facts", "Each topic's owners (catalog business metadata and tags, then the mapping file's rules).",
    text("cluster_id", nullable=False), text("topic", nullable=False), *_OWNERS)
SCHEMA_ATTRIBUTION = _attribution(
    "schema_attribution", "ownership", "Each schema's owners (governance lines split by schema owners).",
    text("sr_id", nullable=False), text("qualified_name", nullable=False), text("payer"), *_OWNERS)

_SCOPE = (text("scope_type", nullable=False), text("scope_value", nullable=False))

COST_CONFIDENCE_DAILY = Table(name="cost_confidence_daily", kind="figure", asset="cost_confidence", description=(
    "Per day and scope (total, team, business unit): cost per confidence level and per allocation basis."),
    columns=(_DAY, *_SCOPE, *(amount(f"{k}_usd") for k in (
        "total", "high", "medium", "low", "by_usage", "by_ownership", "by_fallback", "unallocated",
        "usage_expired"))))

COST_FIGURES_DAILY = Table(name="cost_figures_daily", kind="figure", asset="hourly_cost_facts", description=(
    "Per day and scope: charges and credits apart, unallocated charges and credits, and the charges with a known "
    "team, business unit and cost center (the parts of every quality figure, migration 0014)."),
    columns=(_DAY, *_SCOPE, *(amount(f"{k}_usd") for k in (
        "amount", "charges", "credits", "unallocated_charges", "unallocated_credits", "team_known",
        "business_unit_known", "cost_center_known"))))

PARTITION_STATUS = Table(name="partition_status", kind="bookkeeping", description=(
    "What each asset last wrote for each day: rows, amount, run, details (restatement, readiness, the ledger)."),
    columns=(text("asset_name", "key", False), _DAY, Column("row_count", "bigint", "measure", False),
             amount("amount_usd", True), text("run_id", "bookkeeping"),
             Column("materialized_at", "timestamp with time zone", "bookkeeping", False),
             Column("details", "jsonb")))

SIDECAR_METRIC_LEDGER = Table(name="sidecar_metric_ledger", kind="publication", asset="metrics_ledger", day_column=None, description=(
    "The hourly samples /metrics publishes (and their corrections as revisions), written by the metrics_ledger "
    "asset."),
    columns=(Column("hour", "timestamp with time zone", "time", False),
             *(text(d, nullable=False) for d in ("org_id", "env_id", "cluster", "product", "business_unit", "team",
                                                 "cost_center")),
             Column("revision", "integer", "bookkeeping", False), amount("amount_usd"),
             Column("published_at", "timestamp with time zone", "bookkeeping", False),
             Column("seq", "bigint", "key", False)))

SIDECAR_METRIC_BATCHES = Table(name="sidecar_metric_batches", kind="publication", asset="metrics_ledger",
                               day_column=None, description=(
    "Each publication of ledger samples (one transaction): when, and the range of `seq` its samples took; a /metrics "
    "scrape finds the samples of its exposure window from these rows (migration 0018)."),
    columns=(Column("published_at", "timestamp with time zone", "bookkeeping", False),
             Column("first_seq", "bigint", "key", False), Column("last_seq", "bigint", "key", False),
             Column("samples", "bigint", "measure", False)))

SIDECAR_METRIC_SYNC = Table(name="sidecar_metric_sync", kind="publication", asset="metrics_ledger", description=(
    "Which day's facts the ledger last compared with what /metrics published."),
    columns=(_DAY, Column("facts_materialized_at", "timestamp with time zone", "bookkeeping"),
             Column("synced_at", "timestamp with time zone", "bookkeeping", False)))

DERIVED_TABLES: tuple[Table, ...] = (PRINCIPAL_ATTRIBUTION, RESOURCE_ATTRIBUTION, TOPIC_ATTRIBUTION,
                                     SCHEMA_ATTRIBUTION, COST_CONFIDENCE_DAILY, COST_FIGURES_DAILY, PARTITION_STATUS,
                                     SIDECAR_METRIC_LEDGER, SIDECAR_METRIC_BATCHES, SIDECAR_METRIC_SYNC)

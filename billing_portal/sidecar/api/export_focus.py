"""GET /v1/export/focus: the allocated costs of [from_ts, to_ts) as a FOCUS CSV, streamed.

One row per fact of the chosen view (`view`: the principal view's hourly cost facts by default, or the topic view's;
`statement` reads either, the columns a view lacks standing in). The export conforms to FOCUS 1.2 (https://focus.finops.org), checked in the test suite
by the FinOps Foundation's validator, and carries the FOCUS 1.3 columns ServiceProviderName, HostProviderName and
the split cost allocation columns (AllocatedMethodId, AllocatedMethodDetails, AllocatedResourceId,
AllocatedResourceName, AllocatedTags); custom columns are prefixed `x_`. BilledCost is the fact's amount, so the
column sums exactly to the bill lines of the range (facts reconcile to the bill to the 1e-8 USD). The mapping of
each column (ChargeCategory, ChargeFrequency, services, units, prices, quantities) is in `billing_portal.sidecar.focus`
and documented in docs/API.md.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import orjson
from apiflask import APIBlueprint
from psycopg import sql

from billing_portal.money import UNIT
from billing_portal.months import month_start, next_month
from billing_portal.sidecar import db, focus
from billing_portal.sidecar.api.common import read_endpoint, responses
from billing_portal.sidecar.encode import csv_lines, csv_response, money, ts
from billing_portal.sidecar.query import VIEWS, FactView, range_and_filters
from billing_portal.sidecar.schemas import FocusQuery

bp = APIBlueprint("export", __name__, tag="export")

FOCUS_COLUMNS = (
    "BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "BillingCurrency",
    "ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart", "BillingPeriodEnd",
    "ChargeCategory", "ChargeClass", "ChargeFrequency", "ChargeDescription",
    "ServiceName", "ServiceCategory", "ServiceSubcategory", "ProviderName", "PublisherName", "InvoiceIssuerName",
    "InvoiceId", "BillingAccountId", "BillingAccountName", "SubAccountId", "SubAccountName",
    "ResourceId", "ResourceName", "ResourceType", "RegionId", "RegionName",
    "PricingUnit", "ListUnitPrice", "PricingQuantity", "ConsumedUnit", "ConsumedQuantity", "SkuId",
    "CommitmentDiscountStatus", "Tags",
    # FOCUS 1.3
    "ServiceProviderName", "HostProviderName",
    "AllocatedMethodId", "AllocatedMethodDetails", "AllocatedResourceId", "AllocatedResourceName", "AllocatedTags",
    # custom
    "x_PrincipalId", "x_PrincipalType", "x_AllocationMethod", "x_AllocationReason", "x_Confidence",
    "x_Team", "x_BusinessUnit", "x_CostCenter", "x_Owner", "x_BusinessProduct",
    "x_ClusterId", "x_Product", "x_LineType", "x_UsageDate", "x_LineNo", "x_NetworkAccessType",
    "x_ConfluentUnit", "x_ConfluentPrice", "x_ConfluentQuantity", "x_View", "x_Topic",
)
PROVIDER = "Confluent"

# One statement per view: a fact's columns (a view without one of them has its stand-in, or NULL), its bill line,
# and the names and region of its organization, environment and cluster.
FACT_COLUMNS = ("hour", "usage_date", "line_no", "org_id", "env_id", "resource_id", "resource_type", "cluster_id",
                "product", "line_type", "principal_id", "principal_type", "owner", "team", "business_unit",
                "business_product", "cost_center", "amount_usd", "allocation_method", "allocation_reason", "confidence",
                "topic")
STAND_INS = {"resource_id": "f.cluster_id", "resource_type": "'kafka_cluster'"}  # the topic view: the cluster
BILL_COLUMNS = """b.resource_name, b.description, b.price, b.unit, b.quantity, b.original_amount, b.amount AS line_amount,
       b.network_access_type, COALESCE(b.tier_dimensions->>'region', k.region) AS region,
       COALESCE(b.tier_dimensions->>'provider', k.cloud) AS cloud,
       o.display_name AS org_name, e.display_name AS env_name"""
JOINS = """LEFT JOIN billing_costs b ON b.usage_date = f.usage_date AND b.line_no = f.line_no
LEFT JOIN (SELECT DISTINCT ON (cluster_id) cluster_id, region, cloud FROM kafka_clusters
           ORDER BY cluster_id, snapshot_date DESC) k ON k.cluster_id = f.cluster_id
LEFT JOIN (SELECT DISTINCT ON (org_id) org_id, display_name FROM organizations
           ORDER BY org_id, snapshot_date DESC) o ON o.org_id = f.org_id
LEFT JOIN (SELECT DISTINCT ON (env_id) env_id, display_name FROM environments
           ORDER BY env_id, snapshot_date DESC) e ON e.env_id = f.env_id"""
FIELDS = (*FACT_COLUMNS, "resource_name", "description", "price", "unit", "quantity", "original_amount",
          "line_amount", "network_access_type", "region", "cloud", "org_name", "env_name")


def statement(view: FactView, where: sql.Composable) -> sql.Composed:
    """The rows of `view` that `where` (on alias f) selects, with the columns of FIELDS."""
    columns = view.table.names()
    facts = sql.SQL(", ").join(
        sql.Identifier("f", c) if c in columns else sql.SQL("{} AS {}").format(sql.SQL(STAND_INS.get(c, "NULL")),
                                                                              sql.Identifier(c))
        for c in FACT_COLUMNS)
    return sql.SQL("SELECT {facts}, {bill} FROM {table} f {joins} WHERE {where}").format(
        facts=facts, bill=sql.SQL(BILL_COLUMNS), table=sql.Identifier(view.table.name), joins=sql.SQL(JOINS),
        where=where)


ZERO = Decimal(0)


def _json(obj: dict) -> str:
    return orjson.dumps({k: v for k, v in obj.items() if v is not None}, option=orjson.OPT_SORT_KEYS).decode()


def _decimal(value: Decimal | None) -> str | None:
    """A price or quantity with all its places (CSV cells would round a Decimal to the 8 places of money)."""
    return None if value is None else f"{value:f}"


def focus_row(r: dict) -> list:
    hour: dt.datetime = r["hour"]
    amount: Decimal = r["amount_usd"]
    line_amount: Decimal | None = r["line_amount"]
    original: Decimal | None = r["original_amount"]
    if line_amount is None:  # no bill line (never expected): the fact is its own line
        line_amount, original = amount, amount
    share = (amount / line_amount) if line_amount else None
    product, line_type = r["product"], r["line_type"]
    category = focus.charge_category(product, line_type, amount, r["description"])
    service, service_category, subcategory = focus.service(product, line_type, category)

    unit = list_price = quantity = None
    if category == "Usage":
        pricing = focus.line_pricing(line_type, r["unit"], r["price"], r["quantity"], original, line_amount)
        unit, list_price = pricing.unit, pricing.list_unit_price
        quantity = (pricing.quantity * share).quantize(UNIT) if share is not None else ZERO
        list_cost = (amount * (original if original is not None else line_amount) / line_amount).quantize(UNIT) \
            if share is not None else ZERO
    elif category == "Credit":
        list_cost = amount  # FOCUS: the list and contracted cost of a credit is its billed cost
    else:
        list_cost = (amount * original / line_amount).quantize(UNIT) if share is not None and original is not None \
            else amount
    details = {"Elements": [{"AllocatedRatio": float(round(share, 10)) if share is not None else None,
                             "UsageUnit": r["allocation_method"]}],
               "x_AllocationReason": r["allocation_reason"], "x_Confidence": r["confidence"]}
    tags = {"team": r["team"], "business_unit": r["business_unit"], "cost_center": r["cost_center"],
            "owner": r["owner"], "business_product": r["business_product"]}
    topic = r.get("topic")
    if topic is None:
        view, allocated_id, allocated_name = "principal", r["principal_id"], r["owner"] or r["principal_id"]
        allocated_tags = {"confluent/principal_type": r["principal_type"]}
    else:
        view, allocated_id, allocated_name = "topic", f"{r['cluster_id']}/topic={topic}", topic
        allocated_tags = {"confluent/topic": topic, "confluent/topic_owner": r["owner"]}
    return [
        money(amount), money(amount), money(list_cost), money(amount), "USD",
        ts(hour), ts(hour + dt.timedelta(hours=1)), ts(month_start(hour)), ts(next_month(hour)),
        category, None, focus.charge_frequency(category, product, line_type),
        r["description"] or f"{product} {line_type}",
        service, service_category, subcategory, PROVIDER, PROVIDER, PROVIDER,
        None, r["org_id"], r["org_name"], r["env_id"], r["env_name"],
        r["resource_id"], r["resource_name"], r["resource_type"], r["region"], r["region"],
        unit, _decimal(list_price), quantity, unit, quantity, None if category == "Tax" else line_type,
        None, _json(tags),
        PROVIDER, focus.host_provider(r["cloud"]),
        r["allocation_method"], orjson.dumps(details).decode(), allocated_id, allocated_name, _json(allocated_tags),
        r["principal_id"], r["principal_type"], r["allocation_method"], r["allocation_reason"], r["confidence"],
        r["team"], r["business_unit"], r["cost_center"], r["owner"], r["business_product"],
        r["cluster_id"], product, line_type, r["usage_date"], r["line_no"], r["network_access_type"],
        r["unit"], _decimal(r["price"]), _decimal(r["quantity"]), view, topic,
    ]


@read_endpoint(bp, "/v1/export/focus", FocusQuery, None, summary="FOCUS CSV export of the allocated costs",
               description=(
    "Every hourly cost fact with an hour in [from_ts, to_ts) (at most 366 days; same filters as /v1/costs) as a "
    f"CSV conforming to FOCUS {focus.FOCUS_VERSION} (checked with the FinOps Foundation's focus-validator), with the "
    "FOCUS 1.3 columns ServiceProviderName, HostProviderName and Allocated*, and x_ custom columns, streamed. "
    "BilledCost sums to the bill for the range. `view=topic` exports the topic view instead (Kafka-cluster lines "
    "split over topics; x_Topic, AllocatedResourceId = cluster/topic). Column mapping: docs/API.md."),
    documented={200: {"description": "FOCUS CSV (streamed)", "content": {"text/csv": {"schema": {"type": "string"}}}},
                **responses(400, 503)})
def export_focus(query_data: dict):
    view = VIEWS[query_data["view"]]
    where = range_and_filters(view.facts, query_data["from_ts"], query_data["to_ts"], view.filters(query_data),
                              alias="f")
    rows = db.stream(statement(view, where.sql()), where.params)
    chunks = csv_lines(FOCUS_COLUMNS, (focus_row(dict(zip(FIELDS, r, strict=True))) for r in rows))
    start = query_data["from_ts"].strftime("%Y%m%dT%H%M%SZ")
    return csv_response(chunks, f"focus-{start}.csv", rows)

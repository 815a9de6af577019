"""GET /v1/dimensions: the values of one dimension found in the cost facts (through the principal view's cheapest
source), with display names from the newest object snapshot where the warehouse has them (organizations,
environments, Kafka clusters, service accounts, users); and the topics of the topic view (whole days of
topic_cost_daily) with their clusters, environments, teams and business products."""

from __future__ import annotations

import datetime as dt

from apiflask import APIBlueprint
from psycopg import sql

from billing_portal.sidecar import db
from billing_portal.sidecar.api.common import read_endpoint
from billing_portal.sidecar.query import PRINCIPAL_VIEW, Where, range_and_filters
from billing_portal.sidecar.responses import Dimensions, answer
from billing_portal.sidecar.schemas import DimensionsQuery
from billing_portal.sidecar.vocabulary import DIMENSION_ALIASES, DIMENSION_TYPES, TOPIC_DIMENSION_TYPES

bp = APIBlueprint("dimensions", __name__, tag="dimensions")

# dimension type → (object table, id column, name expression, extra attribute columns)
NAMES = {
    "orgs": [("organizations", "org_id", "display_name", ())],
    "environments": [("environments", "env_id", "display_name", ("stream_governance_package",))],
    "clusters": [("kafka_clusters", "cluster_id", "display_name",
                  ("env_id", "cluster_kind", "availability", "cloud", "region"))],
    "principals": [("service_accounts", "principal_id", "display_name", ("description",)),
                   ("users", "principal_id", "COALESCE(full_name, email)", ("email",))],
}
EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
FOREVER = dt.datetime(2201, 1, 1, tzinfo=dt.UTC)


def canonical(dimension_type: str) -> str:
    return DIMENSION_ALIASES.get(dimension_type, dimension_type)


def _names(kind: str, ids: list[str]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for table, id_col, name_expr, attrs in NAMES.get(kind, []):
        cols = sql.SQL("").join(sql.SQL(", {}::text AS {}").format(sql.Identifier(a), sql.Identifier(a))
                                for a in attrs)
        stmt = sql.SQL("SELECT DISTINCT ON ({id}) {id} AS id, {name} AS name{cols} FROM {table}"
                       " WHERE {id} = ANY(%(ids)s) ORDER BY {id}, snapshot_date DESC").format(
            id=sql.Identifier(id_col), name=sql.SQL(name_expr), cols=cols, table=sql.Identifier(table))
        for r in db.fetch_all(stmt, {"ids": ids}):
            out.setdefault(r["id"], {"name": r["name"], "attributes": {a: r[a] for a in attrs}})
    return out


@read_endpoint(bp, "/v1/dimensions", DimensionsQuery, Dimensions, summary="Values of a dimension", description=(
    "Distinct values of `dimension_type` in the cost facts (optionally only those with cost in [from_ts, to_ts)), "
    "with first/last day seen, their cost, and for orgs, environments, clusters and principals the display name "
    "and attributes of the newest snapshot. Null values (e.g. costs without a cluster) are not listed."))
def dimensions(query_data: dict):
    if query_data["dimension_type"] in TOPIC_DIMENSION_TYPES:
        return _topics(query_data)
    kind = canonical(query_data["dimension_type"])
    column = DIMENSION_TYPES[kind]
    from_ts, to_ts = query_data.get("from_ts") or EPOCH, query_data.get("to_ts") or FOREVER
    source = PRINCIPAL_VIEW.pick_source_for_range({column}, "total", set(), from_ts, to_ts)
    where: Where = range_and_filters(source, from_ts, to_ts, {})
    stmt = sql.SQL("SELECT {c} AS value, min({t})::date AS first_seen, max({t})::date AS last_seen,"
                   " sum({a}) AS amount_usd FROM {rel} WHERE {w} AND {c} IS NOT NULL GROUP BY 1 ORDER BY 1").format(
        c=sql.Identifier(column), t=sql.Identifier(source.time_column), a=sql.Identifier(source.amount_column),
        rel=sql.Identifier(source.relation), w=where.sql())
    rows = db.fetch_all(stmt, where.params)
    names = _names(kind, [r["value"] for r in rows]) if rows else {}
    for r in rows:
        extra = names.get(r["value"], {})
        r["name"] = extra.get("name")
        if extra.get("attributes"):
            r["attributes"] = extra["attributes"]
    return answer(Dimensions, {"dimension_type": kind, "column": column, "count": len(rows), "data": rows})


def _topics(query_data: dict):
    """The topics of the topic view (topic_cost_daily), each with its cluster, environment and owner attributes."""
    from_ts, to_ts = query_data.get("from_ts") or EPOCH, query_data.get("to_ts") or FOREVER
    rows = db.fetch_all(
        "SELECT topic AS value, min(usage_date) AS first_seen, max(usage_date) AS last_seen, sum(amount_usd)"
        " AS amount_usd, string_agg(DISTINCT cluster_id, ',') AS clusters, string_agg(DISTINCT env_id, ',') AS envs,"
        " string_agg(DISTINCT team, ',') AS teams, string_agg(DISTINCT business_product, ',') AS products"
        " FROM topic_cost_daily WHERE usage_date >= %(lo)s AND usage_date < %(hi)s"
        " GROUP BY 1 ORDER BY 1", {"lo": from_ts.date(), "hi": (to_ts - dt.timedelta(microseconds=1)).date()
                                     + dt.timedelta(days=1)})
    data = [{**r, "name": None, "attributes": {"cluster_id": r["clusters"], "env_id": r["envs"], "team": r["teams"],
                                               "business_product": r["products"]}} for r in rows]
    return answer(Dimensions, {"dimension_type": "topics", "column": "topic", "count": len(data), "data": data})

"""The topic view over HTTP: `GET /v1/topics` (hourly topic facts, filtered, keyset pages, CSV) and
`GET /v1/topics/summary` (sums by dimensions and UTC buckets, exactly the envelope of /v1/costs/summary).

Dimensions: `TOPIC_DIMENSIONS` (the columns of hourly_topic_facts a row is grouped or filtered by). Summaries read
the day rollup topic_cost_daily when the range is whole days and the granularity a day or coarser, else the facts.
Values are bound parameters and columns come from the whitelist, as everywhere in the sidecar.
"""

from __future__ import annotations

import datetime as dt

from apiflask import APIBlueprint, Schema
from marshmallow import ValidationError, fields, validate, validates_schema
from psycopg import sql

from billing_portal.model.tables import HOURLY_TOPIC_FACTS
from billing_portal.sidecar import db, pagination
from billing_portal.sidecar.api.common import read_endpoint
from billing_portal.sidecar.api.summary import bucket
from billing_portal.sidecar.api.views import keyset_page, summary_answer
from billing_portal.sidecar.encode import csv_lines, csv_response
from billing_portal.sidecar.fields import Timestamp, dim_filter
from billing_portal.sidecar.query import CASE_FOLDED, Source, Where, aligned, period_expression
from billing_portal.sidecar.responses import Summary, TopicsPage
from billing_portal.sidecar.schemas import (
    DEFAULT_LIMIT,
    MAX_HOURLY_RANGE_DAYS,
    MAX_LIMIT,
    MAX_RANGE_DAYS,
    format_field,
)

bp = APIBlueprint("topics", __name__, tag="topics")

TOPIC_FACTS = HOURLY_TOPIC_FACTS.name
TOPIC_DIMENSIONS: tuple[str, ...] = HOURLY_TOPIC_FACTS.dimensions  # billing_portal/model/tables.py
TOPIC_FIELDS: tuple[str, ...] = HOURLY_TOPIC_FACTS.api_fields
FACTS_SOURCE = Source(TOPIC_FACTS, dimensions=frozenset(TOPIC_DIMENSIONS))
ROLLUP_SOURCE = Source("topic_cost_daily", grain="day", dimensions=frozenset(TOPIC_DIMENSIONS),
                       time_column="usage_date")
DESCRIPTIONS = {"topic": "Topic name (UNALLOCATED: a cluster line without topic metrics)",
                "cluster_id": "Kafka cluster id (lkc-…)", "env_id": "Environment id (env-…)",
                "org_id": "Organization id", "product": "Confluent product (KAFKA, CLUSTER_LINK, …)",
                "line_type": "Bill line type", "owner": "The topic's owner", "team": "Team",
                "business_unit": "Business unit", "business_product": "Business (data) product",
                "cost_center": "Cost center", "allocation_method": "topic_usage_share, even_active_topics, …",
                "allocation_reason": "topic_received_bytes, no_topic_metrics, …",
                "confidence": "high, medium, low"}
GROUP_BY_PATTERN = "^(" + "|".join(sorted(TOPIC_DIMENSIONS, key=lambda n: -len(n))) + ")(,(" + "|".join(
    sorted(TOPIC_DIMENSIONS, key=lambda n: -len(n))) + "))*$"

_TopicFilters = type("TopicFilters", (Schema,), {
    d: dim_filter(f"{DESCRIPTIONS[d]}. Repeat the parameter for several values (OR). "
                  + ("Case-insensitive (a fixed vocabulary)." if d in CASE_FOLDED else "Exact, case-sensitive."))
    for d in TOPIC_DIMENSIONS})


class TopicRangeQuery(_TopicFilters):
    from_ts = Timestamp(required=True, metadata={"description": "Start, inclusive (RFC3339 with offset).",
                                                 "example": "2024-01-01T00:00:00Z"})
    to_ts = Timestamp(required=True, metadata={"description": "End, exclusive (RFC3339 with offset).",
                                               "example": "2024-01-31T23:59:59Z"})

    @validates_schema(skip_on_field_errors=True)
    def _range(self, data, **kwargs):
        if data["from_ts"] >= data["to_ts"]:
            raise ValidationError("must be after from_ts (the range is [from_ts, to_ts))", field_name="to_ts")
        if data["to_ts"] - data["from_ts"] > dt.timedelta(days=MAX_RANGE_DAYS):
            raise ValidationError(f"the range may cover at most {MAX_RANGE_DAYS} days", field_name="to_ts")


class TopicsQuery(TopicRangeQuery):
    limit = fields.Integer(validate=validate.Range(1, MAX_LIMIT, error=f"must be between 1 and {MAX_LIMIT}"),
                           metadata={"description": f"Page size, 1..{MAX_LIMIT} (default {DEFAULT_LIMIT}; JSON only)."})
    cursor = fields.String(validate=[validate.Length(min=1, max=512), validate.Regexp(r"^[A-Za-z0-9_-]+$")],
                           metadata={"description": "The `next` value of the previous page, with the same filters."})
    format = format_field()

    @validates_schema(skip_on_field_errors=True)
    def _csv_pages(self, data, **kwargs):
        if data.get("format") == "csv":
            for name in ("limit", "cursor"):
                if name in data:
                    raise ValidationError("format=csv streams the whole range: leave out limit and cursor",
                                          field_name=name)


class TopicSummaryQuery(TopicRangeQuery):
    group_by = fields.List(
        fields.String(validate=[validate.Length(max=400), validate.Regexp(GROUP_BY_PATTERN, error=(
            "unknown dimension; one of " + ", ".join(TOPIC_DIMENSIONS)))]),
        load_default=list, validate=validate.Length(max=20),
        metadata={"description": "Dimensions to group by (repeat or comma-separate): " + ", ".join(TOPIC_DIMENSIONS)})
    granularity = fields.String(load_default="total", validate=validate.OneOf(["hour", "day", "month", "total"]),
                                metadata={"description": "Time buckets (UTC). hour is limited to "
                                                         f"{MAX_HOURLY_RANGE_DAYS} days."})
    format = format_field()

    @validates_schema(skip_on_field_errors=True)
    def _hourly(self, data, **kwargs):
        if data.get("granularity") == "hour" and data["to_ts"] - data["from_ts"] > dt.timedelta(
                days=MAX_HOURLY_RANGE_DAYS):
            raise ValidationError(f"granularity=hour allows at most {MAX_HOURLY_RANGE_DAYS} days", field_name="to_ts")


def filters_of(data: dict) -> dict[str, list[str]]:
    out = {}
    for d in TOPIC_DIMENSIONS:
        if data.get(d):
            fold = CASE_FOLDED.get(d)
            values = [v.upper() if fold == "upper" else v.lower() if fold == "lower" else v for v in data[d]]
            out[d] = list(dict.fromkeys(values))
    return out


def where_of(source: Source, from_ts: dt.datetime, to_ts: dt.datetime, filters: dict[str, list[str]],
             alias: str | None = None) -> Where:
    w = Where()
    t = sql.Identifier(alias, source.time_column) if alias else sql.Identifier(source.time_column)
    w.add(sql.SQL("{} >= %(from_ts)s AND {} < %(to_ts)s").format(t, t), from_ts=from_ts, to_ts=to_ts)
    for name, values in sorted(filters.items()):
        if name not in TOPIC_DIMENSIONS:
            raise ValueError(f"not a topic dimension: {name}")
        col = sql.Identifier(alias, name) if alias else sql.Identifier(name)
        w.add(sql.SQL("{} = ANY(%({})s)").format(col, sql.SQL(f"f_{name}")),
              **{f"f_{name}": list(values)})
    return w


def split_group_by(values: list[str]) -> list[str]:
    out: list[str] = []
    for raw in values:
        for name in (x.strip() for x in raw.split(",")):
            if name and name not in out:
                out.append(name)
    return out


def topic_days(conn, from_ts: dt.datetime, to_ts: dt.datetime) -> list[dt.date]:
    rows = conn.execute(
        "SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s AND c.relname ~ '_p[0-9]{8}$'",
        (TOPIC_FACTS,)).fetchall()
    first, last = from_ts.date(), (to_ts - dt.timedelta(microseconds=1)).date()
    days = sorted(dt.datetime.strptime(r["name"][-8:], "%Y%m%d").date() for r in rows)
    return [d for d in days if first <= d <= last]


SELECT = sql.SQL(", ").join(sql.Identifier(f) for f in TOPIC_FIELDS)


@read_endpoint(bp, "/v1/topics", TopicsQuery, TopicsPage, csv=True, summary="Hourly topic facts", description=(
    "The topic view: every line billed on a Kafka cluster split over the cluster's topics (hour × bill line × "
    "topic), with an hour in [from_ts, to_ts), at most 366 days, same filters, paging and CSV as /v1/costs. "
    "Topic `UNALLOCATED`: a cluster line without topic metrics."))
def list_topics(query_data: dict):
    from_ts, to_ts = query_data["from_ts"], query_data["to_ts"]
    filters = filters_of(query_data)
    if query_data["format"] == "csv":
        where = where_of(FACTS_SOURCE, from_ts, to_ts, filters)
        stmt = sql.SQL("SELECT {} FROM hourly_topic_facts WHERE {} ORDER BY usage_date, fact_no").format(
            SELECT, where.sql())
        rows = db.stream(stmt, where.params)
        return csv_response(csv_lines(TOPIC_FIELDS, rows), "topics.csv", rows)
    return keyset_page("hourly_topic_facts", SELECT, lambda conn: topic_days(conn, from_ts, to_ts),
                       lambda lo, hi: where_of(FACTS_SOURCE, lo, hi, filters), from_ts, to_ts, query_data,
                       query_data.get("limit", DEFAULT_LIMIT),
                       pagination.fingerprint(from_ts, to_ts, {"view": ["topic"], **filters}), TopicsPage)


def summary_statement(source: Source, group_by: list[str], granularity: str, where: Where,
                      limit: int | None = None) -> sql.Composed:
    select: list[sql.Composable] = []
    period = period_expression(source, granularity)
    if period is not None:
        select.append(sql.SQL("{} AS period_start").format(period))
    select.extend(sql.Identifier(d) for d in group_by)
    select.append(sql.SQL("sum(amount_usd) AS amount_usd"))
    n_keys = len(group_by) + (1 if period is not None else 0)
    stmt = sql.SQL("SELECT {} FROM {} WHERE {}").format(sql.SQL(", ").join(select), sql.Identifier(source.relation),
                                                       where.sql())
    if n_keys:
        keys = sql.SQL(", ").join(sql.SQL(str(i + 1)) for i in range(n_keys))
        stmt = sql.SQL("{} GROUP BY {} ORDER BY {}").format(stmt, keys, keys)
    if limit is not None:
        stmt = sql.SQL("{} LIMIT {}").format(stmt, sql.Literal(int(limit)))
    return stmt


@read_endpoint(bp, "/v1/topics/summary", TopicSummaryQuery, Summary, csv=True,
               summary="Topic cost summary by dimensions and time buckets", description=(
    "The topic view summed in [from_ts, to_ts) by `group_by` (" + ", ".join(TOPIC_DIMENSIONS) + ") and "
    "`granularity` (hour ≤ 31 days, day, month, total): exactly the envelope of /v1/costs/summary. The total of "
    "a range is the total of its Kafka-cluster bill lines."))
def topics_summary(query_data: dict):
    from_ts, to_ts = query_data["from_ts"], query_data["to_ts"]
    group_by = split_group_by(query_data["group_by"])
    granularity = query_data["granularity"]
    filters = filters_of(query_data)
    use_rollup = granularity != "hour" and aligned(from_ts, "day") and aligned(to_ts, "day")
    source = ROLLUP_SOURCE if use_rollup else FACTS_SOURCE
    where = where_of(source, from_ts, to_ts, filters)
    return summary_answer(lambda limit: summary_statement(source, group_by, granularity, where, limit=limit), where,
                          group_by, granularity, from_ts, to_ts, query_data, "topics-summary.csv", bucket)

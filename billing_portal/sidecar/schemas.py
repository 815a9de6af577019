"""Marshmallow schemas of the API's query parameters: validated, and the source of the OpenAPI parameters (the
answers' schemas are in `responses.py`).

Timestamps are RFC3339 with an offset, days `YYYY-MM-DD`. Unknown query parameters are rejected (400 naming them) so
that a typo never silently widens a query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import NamedTuple

from apiflask import Schema
from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from billing_portal.sidecar.fields import Day, DayOrTimestamp, Timestamp, dim_filter
from billing_portal.sidecar.query import CASE_FOLDED, PRINCIPAL_VIEW, TOPIC_VIEW, VIEWS, FactView
from billing_portal.sidecar.vocabulary import DIMENSION_TYPE_VALUES

MAX_LIMIT = 10_000
DEFAULT_LIMIT = 1_000
MAX_RANGE_DAYS = 366          # /v1/costs, /v1/costs/summary, /v1/export/focus, /v1/dimensions
MAX_HOURLY_RANGE_DAYS = 31    # /v1/costs/summary?granularity=hour
MAX_DAY_RANGE_DAYS = 366      # /v1/confidence, /v1/reconciliation, collect ranges
MAX_SUMMARY_ROWS = 100_000    # JSON summaries larger than this must be narrowed (CSV streams without a cap)

GRANULARITIES = ("hour", "day", "month", "total")


# --- the views of the facts: one set of query schemas each, from the view (query.FactView) ------------------------
def _check_range(data: dict, max_days: int, *, required: bool = True) -> None:
    f, t = data.get("from_ts"), data.get("to_ts")
    if f is None and t is None and not required:
        return
    if f is None or t is None:
        missing = "from_ts" if f is None else "to_ts"
        raise ValidationError("from_ts and to_ts go together: give both or neither", field_name=missing)
    if f >= t:
        raise ValidationError("must be after from_ts (the range is [from_ts, to_ts))", field_name="to_ts")
    if t - f > dt.timedelta(days=max_days):
        raise ValidationError(f"the range may cover at most {max_days} days", field_name="to_ts")


def format_field() -> fields.String:
    return fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]),
                         metadata={"description": "json (default) or csv (streamed)."})


def filter_fields(view: FactView, dimensions: Iterable[str], note: str = "") -> dict[str, fields.List]:
    """One repeatable filter parameter per dimension of `view`."""
    return {d: dim_filter(f"{view.descriptions[d]}{note}. Repeat the parameter for several values (OR). "
                          + ("Case-insensitive (a fixed vocabulary)." if d in CASE_FOLDED else "Exact, case-sensitive."))
            for d in dimensions}


def group_by_field(view: FactView, description: str) -> fields.List:
    """`group_by`: the view's dimensions (and their aliases), repeated or comma-separated."""
    names = sorted({*view.dimensions, *view.group_by_aliases}, key=lambda n: (-len(n), n))
    one = "(" + "|".join(names) + ")"
    error = "unknown dimension; one of " + ", ".join(view.dimensions) + (
        " (or the names /v1/dimensions accepts: principal, bu, teams, …)" if view.group_by_aliases else "")
    return fields.List(fields.String(validate=[validate.Length(max=400), validate.Regexp(f"^{one}(,{one})*$",
                                                                                         error=error)]),
                       load_default=list, validate=validate.Length(max=20), metadata={"description": description})


class _Range(Schema):
    from_ts = Timestamp(required=True, metadata={"description": "Start, inclusive (RFC3339 with offset).",
                                                 "example": "2024-01-01T00:00:00Z"})
    to_ts = Timestamp(required=True, metadata={"description": "End, exclusive (RFC3339 with offset).",
                                               "example": "2024-01-31T23:59:59Z"})

    @validates_schema(skip_on_field_errors=True)
    def _range(self, data, **kwargs):
        _check_range(data, MAX_RANGE_DAYS)


class _Page(Schema):
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


class _Buckets(Schema):
    granularity = fields.String(load_default="total", validate=validate.OneOf(GRANULARITIES),
                                metadata={"description": "Time buckets (UTC). hour is limited to "
                                                         f"{MAX_HOURLY_RANGE_DAYS} days."})
    format = format_field()

    @validates_schema(skip_on_field_errors=True)
    def _hourly(self, data, **kwargs):
        if data.get("granularity") == "hour" and data["to_ts"] - data["from_ts"] > dt.timedelta(
                days=MAX_HOURLY_RANGE_DAYS):
            raise ValidationError(f"granularity=hour allows at most {MAX_HOURLY_RANGE_DAYS} days", field_name="to_ts")


class ViewQueries(NamedTuple):
    range: type[Schema]     # the filters and [from_ts, to_ts)
    facts: type[Schema]     # + limit, cursor, format: GET /v1/costs, /v1/topics
    summary: type[Schema]   # + group_by, granularity, format: GET /v1/costs/summary, /v1/topics/summary


def view_queries(view: FactView) -> ViewQueries:
    """The query schemas of a view's endpoints, in the parameters' order: its filters, the range, then the rest."""
    prefix = view.name.capitalize()
    filters = type(f"{prefix}Filters", (Schema,), filter_fields(view, view.dimensions))
    range_ = type(f"{prefix}RangeQuery", (_Range, filters), {})
    group_by = type(f"{prefix}GroupBy", (Schema,), {"group_by": group_by_field(view, (
        "Dimensions to group by: repeat the parameter or separate with commas: " + ", ".join(view.dimensions)
        + (" (or the aliases of /v1/dimensions: principal → principal_id, bu → business_unit, teams → team, …)"
           if view.group_by_aliases else "") + ". Answers use the column names."))})
    return ViewQueries(range_, type(f"{prefix}FactsQuery", (_Page, range_), {}),
                       type(f"{prefix}SummaryQuery", (_Buckets, group_by, range_), {}))


VIEW_QUERIES = {name: view_queries(view) for name, view in VIEWS.items()}
RangeQuery = VIEW_QUERIES[PRINCIPAL_VIEW.name].range


def _focus_view_filters(self, data, **kwargs):
    """A filter on a dimension the chosen view lacks is a 400 (and says which view has it)."""
    view = VIEWS[data["view"]]
    for name in FOCUS_FILTERS:
        if data.get(name) and name not in view.dimensions:
            owner = next(v for v in VIEWS.values() if name in v.dimensions)
            raise ValidationError(f"filters the {owner.name} view only: add view={owner.name}"
                                  if view is PRINCIPAL_VIEW else
                                  f"not a dimension of the {view.name} view (view={view.name})", field_name=name)


# The FOCUS export takes the principal view's range and filters, those only the topic view has, and `view`.
FOCUS_FILTERS = tuple(dict.fromkeys(d for v in VIEWS.values() for d in v.dimensions))
FocusQuery = type("FocusQuery", (RangeQuery,), {
    "view": fields.String(load_default=PRINCIPAL_VIEW.name, validate=validate.OneOf(tuple(VIEWS)), metadata={
        "description": "principal (default): the hourly cost facts, every bill line split over principals; topic: "
                       "the topic view, every Kafka-cluster line split over the cluster's topics "
                       "(AllocatedResourceId = cluster/topic)."}),
    **filter_fields(TOPIC_VIEW, (d for d in TOPIC_VIEW.dimensions if d not in PRINCIPAL_VIEW.dimensions),
                    ", view=topic only"),
    "_view_filters": validates_schema(skip_on_field_errors=True)(_focus_view_filters),
})


class DimensionsQuery(Schema):
    dimension_type = fields.String(required=True, validate=validate.OneOf(DIMENSION_TYPE_VALUES), metadata={
        "description": "orgs, environments, clusters, principals, business_units, teams, cost_centers, products, "
                       "line_types (also resources, owners, business_products, confidence, allocation_methods; "
                       "singular and *_id forms are accepted)."})
    from_ts = Timestamp(metadata={"description": "Only values with cost in [from_ts, to_ts) (optional)."})
    to_ts = Timestamp(metadata={"description": "End, exclusive (optional, with from_ts)."})

    @validates_schema(skip_on_field_errors=True)
    def _range(self, data, **kwargs):
        _check_range(data, MAX_RANGE_DAYS, required=False)


# The one range vocabulary: `from_ts` (inclusive) / `to_ts` (exclusive) on every endpoint with a range. The daily
# endpoints (/v1/confidence, /v1/reconciliation, collect) cover the UTC days that intersect [from_ts, to_ts) and also
# take a day YYYY-MM-DD there; their former `start`/`end` (inclusive days) stay accepted as aliases.
RANGE_ALIASES = {"start": "from_ts", "end": "to_ts"}


class DayRange(Schema):
    """from_ts/to_ts (or the aliases start/end) → `start`/`end`, inclusive days, in the loaded data; `names` says
    which parameter gave each bound (error messages name what the client sent)."""

    from_ts = DayOrTimestamp(metadata={
        "description": "Start, inclusive: RFC3339 timestamp or day YYYY-MM-DD (its UTC day is the first day).",
        "example": "2024-01-01T00:00:00Z"})
    to_ts = DayOrTimestamp(metadata={
        "description": "End, exclusive: RFC3339 timestamp or day YYYY-MM-DD (the last day is the one before it, "
                       "or the day it falls in when it is not midnight).", "example": "2024-02-01T00:00:00Z"})
    start = Day(metadata={"description": "Alias of from_ts: first day, inclusive (YYYY-MM-DD)."})
    end = Day(metadata={"description": "Alias of to_ts: last day, inclusive (YYYY-MM-DD)."})

    @validates_schema(skip_on_field_errors=True)
    def _days(self, data, **kwargs):
        for alias, name in RANGE_ALIASES.items():
            if alias in data and name in data:
                raise ValidationError(f"give {name} or its alias {alias}, not both", field_name=alias)
        f, t = data.get("from_ts"), data.get("to_ts")
        if f is not None and t is not None and t <= f:
            raise ValidationError("must be after from_ts (the range is [from_ts, to_ts))", field_name="to_ts")
        s, e = _first_day(data), _last_day(data)
        if s is not None and e is not None:
            end_name = "to_ts" if "to_ts" in data else "end"
            if s > e:
                raise ValidationError("must not be before start" if end_name == "end" else
                                      "must be after from_ts (the range is [from_ts, to_ts))", field_name=end_name)
            if (e - s).days + 1 > MAX_DAY_RANGE_DAYS:
                raise ValidationError(f"the range may cover at most {MAX_DAY_RANGE_DAYS} days", field_name=end_name)

    @post_load
    def _normalize(self, data, **kwargs):
        names = {"start": "from_ts" if "from_ts" in data else "start", "end": "to_ts" if "to_ts" in data else "end"}
        start, end = _first_day(data), _last_day(data)
        for k in ("from_ts", "to_ts", "start", "end"):
            data.pop(k, None)
        if start is not None:
            data["start"] = start
        if end is not None:
            data["end"] = end
        data["names"] = names
        return data


def _first_day(data: dict) -> dt.date | None:
    if data.get("from_ts") is not None:
        return data["from_ts"].date()
    return data.get("start")


def _last_day(data: dict) -> dt.date | None:
    if data.get("to_ts") is not None:
        return (data["to_ts"] - dt.timedelta(microseconds=1)).date()
    return data.get("end")


class DaysQuery(DayRange):
    format = format_field()


class ConfidenceQuery(DaysQuery):
    scope_type = fields.List(fields.String(validate=validate.OneOf(["total", "team", "business_unit"])),
                             metadata={"description": "total, team, business_unit (repeatable; default all)."})


WORKLIST_MAX_LIMIT = 1_000


class WorklistQuery(DaysQuery):
    limit = fields.Integer(load_default=50, validate=validate.Range(
        1, WORKLIST_MAX_LIMIT, error=f"must be between 1 and {WORKLIST_MAX_LIMIT}"),
        metadata={"description": f"Most items to return, 1..{WORKLIST_MAX_LIMIT} (default 50)."})


class ForecastQuery(Schema):
    month = fields.String(validate=validate.Regexp(r"^(20[0-9]{2}|21[0-9]{2})-(0[1-9]|1[0-2])$",
                                                   error="must be a month YYYY-MM"),
                          metadata={"description": "YYYY-MM (default: the current UTC month).", "example": "2024-01"})
    group_by = group_by_field(PRINCIPAL_VIEW, "Dimensions to forecast per (repeat or comma-separate; aliases as in "
                                              "/v1/costs/summary); default: the total.")


class CollectQuery(DayRange):
    """Days to collect: from_ts/to_ts (or start/end, inclusive); default: the newest complete day."""

"""The API's answers: the marshmallow schemas that document them (the OpenAPI response schemas schemathesis checks
every answer against) are also what produces them.

`renderer(Schema)` turns an answer as the handlers gather it (rows as the warehouse returns them: Decimals, dates,
datetimes) into the JSON body: the schema's fields in its order, each value encoded as its field documents it — an
`Amount` as a string with exactly 8 decimals (`"12.34000000"`, never a float), a `Ratio` as a JSON number rounded to
6 places, a `date-time` string as RFC3339 UTC (`2024-01-01T00:00:00Z`), a `date` as `YYYY-MM-DD`; nested schemas
alike. It is built once per schema (a field list and a few encoders), so a page of 10 000 facts costs what a
hand-written dict would. A field the schema does not name is never answered; a required one missing is an error.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping

from apiflask import Schema
from marshmallow import fields, validate

from billing_portal.model.tables import HOURLY_COST_FACTS, HOURLY_TOPIC_FACTS, Table
from billing_portal.sidecar.encode import day, json_response, money, share, ts

AMOUNT_PATTERN = r"^-?[0-9]+\.[0-9]{8}$"
RATIO_DESCRIPTION = "A ratio between 0 and 1 (a JSON number; null when the total is zero)."


class Amount(fields.String):
    """USD as a string with exactly 8 decimals; a missing amount is zero unless the field allows null."""


class Ratio(fields.Float):
    """A ratio as a JSON number rounded to 6 places (null when undefined)."""


def amount(description: str = "USD, exactly 8 decimals", **kw) -> Amount:
    return Amount(metadata={"description": description, "pattern": AMOUNT_PATTERN, "example": "12.34000000"}, **kw)


def ratio(description: str = RATIO_DESCRIPTION) -> Ratio:
    return Ratio(allow_none=True, metadata={"description": description})


def opt_str(description: str = "") -> fields.String:
    return fields.String(allow_none=True, metadata={"description": description} if description else {})


# --- producing answers --------------------------------------------------------------------------------------------
def _nullable(encode: Callable) -> Callable:
    return lambda value: None if value is None else encode(value)


def _encoder(field: fields.Field) -> Callable | None:
    """How a value of `field` is written in JSON (None: as it is)."""
    if isinstance(field, Amount):
        return _nullable(money) if field.allow_none else money
    if isinstance(field, Ratio):
        return share
    if isinstance(field, fields.Nested):
        return renderer(field.nested)
    if isinstance(field, fields.List) and isinstance(field.inner, fields.Nested):
        item = renderer(field.inner.nested)
        return lambda values: [item(v) for v in values]
    return {"date-time": ts, "date": day}.get(field.metadata.get("format"))


@functools.cache
def renderer(schema: type[Schema]) -> Callable[[Mapping], dict]:
    """The function that writes one answer of `schema` (see the module docstring): compiled once per schema into a
    dict display of its fields, so that it costs what the same dict written by hand would."""
    env: dict[str, Callable] = {}
    lines, required = [], []
    for i, (name, field) in enumerate(schema._declared_fields.items()):
        value = f"row[{name!r}]"
        encode = _encoder(field)
        if encode is not None:
            env[f"e{i}"] = encode
            value = f"e{i}({value})"
        if field.required:
            lines.append(f"    out[{name!r}] = {value}")
            required.append(f"{name!r}: {value}")
        else:
            lines.append(f"    if {name!r} in row:\n        out[{name!r}] = {value}")
    if len(required) == len(lines):  # every field required: one dict display
        source = "def render(row):\n    return {" + ", ".join(required) + "}\n"
    else:
        source = "def render(row):\n    out = {}\n" + "\n".join(lines) + "\n    return out\n"
    exec(compile(source, f"<renderer of {schema.__name__}>", "exec"), env)
    return env["render"]


def answer(schema: type[Schema], body: Mapping, status: int = 200):
    """The JSON response `schema` documents, written from `body` by `renderer(schema)`."""
    return json_response(renderer(schema)(body), status=status)


def field_names(schema: type[Schema], *leave_out: str) -> tuple[str, ...]:
    """The fields of `schema` in its order (e.g. the columns of the CSV variant of an answer)."""
    return tuple(n for n in schema._declared_fields if n not in leave_out)


# --- the schemas --------------------------------------------------------------------------------------------------
class ErrorBody(Schema):
    status = fields.Integer(required=True)
    code = fields.String(required=True, metadata={"description": "invalid_parameter, unknown_parameter, "
                                                                 "unauthorized, forbidden, not_found, …"})
    parameter = fields.String(allow_none=True, required=True,
                              metadata={"description": "The offending parameter, when there is one."})
    message = fields.String(required=True)
    details = fields.List(fields.Dict(), metadata={"description": "Every problem found, when several."})


class ErrorEnvelope(Schema):
    error = fields.Nested(ErrorBody, required=True)


def fact_schema(table: Table, name: str) -> type[Schema]:
    """The response schema of one fact of `table`, from the model (billing_portal/model/tables.py): its API fields
    in their order, required unless the column is nullable, amounts as 8-decimal strings."""
    nullable = {c.name: c.nullable for c in table.columns}

    def field(column: str) -> fields.Field:
        if column == "hour":
            return fields.String(required=True, metadata={"format": "date-time", "description": "Start of the UTC hour."})
        if column == "usage_date":
            return fields.String(required=True, metadata={"format": "date"})
        if column == "amount_usd":
            return amount(required=True)
        if column == "line_no":
            return fields.Integer(required=True, metadata={"description": "The bill line (billing_costs) of the day."})
        return opt_str() if nullable[column] else fields.String(required=True)

    return Schema.from_dict({c: field(c) for c in table.api_fields}, name=name)


def page_schema(fact: type[Schema], name: str) -> type[Schema]:
    return Schema.from_dict({
        "data": fields.List(fields.Nested(fact), required=True),
        "count": fields.Integer(required=True),
        "limit": fields.Integer(required=True),
        "next": fields.String(allow_none=True, required=True, metadata={
            "description": "Cursor of the next page (pass as `cursor`), null on the last."}),
    }, name=name)


# The page of each view of the facts (query.VIEWS), under the names the OpenAPI document has always given them.
VIEW_PAGES = {"principal": page_schema(fact_schema(HOURLY_COST_FACTS, "Fact"), "CostsPage"),
              "topic": page_schema(fact_schema(HOURLY_TOPIC_FACTS, "TopicFact"), "TopicsPage")}


class SummaryRow(Schema):
    period_start = fields.String(allow_none=True, required=True, metadata={"format": "date-time"})
    period_end = fields.String(allow_none=True, required=True, metadata={"format": "date-time"})
    group = fields.Dict(keys=fields.String(), values=fields.String(allow_none=True), required=True)
    amount_usd = amount(required=True)


class Summary(Schema):
    from_ts = fields.String(required=True, metadata={"format": "date-time"})
    to_ts = fields.String(required=True, metadata={"format": "date-time"})
    granularity = fields.String(required=True)
    group_by = fields.List(fields.String(), required=True)
    data = fields.List(fields.Nested(SummaryRow), required=True)
    total_usd = amount(required=True)


class DimensionValue(Schema):
    value = fields.String(required=True)
    name = opt_str("Display name from the newest object snapshot, when known.")
    first_seen = fields.String(allow_none=True, required=True, metadata={"format": "date"})
    last_seen = fields.String(allow_none=True, required=True, metadata={"format": "date"})
    amount_usd = amount(required=True, description="Cost in the range (all time without a range).")
    attributes = fields.Dict(keys=fields.String(), values=fields.String(allow_none=True))


class Dimensions(Schema):
    dimension_type = fields.String(required=True)
    column = fields.String(required=True)
    count = fields.Integer(required=True)
    data = fields.List(fields.Nested(DimensionValue), required=True)


class ConfidenceRow(Schema):
    usage_date = fields.String(required=True, metadata={"format": "date"})
    scope_type = fields.String(required=True)
    scope_value = fields.String(required=True)
    total_usd = amount(required=True)
    high_usd = amount(required=True)
    medium_usd = amount(required=True)
    low_usd = amount(required=True)
    by_usage_usd = amount(required=True)
    by_ownership_usd = amount(required=True)
    by_fallback_usd = amount(required=True)
    unallocated_usd = amount(required=True)
    usage_expired_usd = amount(required=True, description=(
        "Cost of usage-driven lines whose usage expired from the Metrics API before it was captured (reason "
        "usage_expired_before_capture); part of the buckets above, not added to them."))
    charges_usd = amount(allow_none=True, description=(
        "Gross charges: the positive amounts of the day and scope (credits excluded). Null for a day rolled up "
        "before the figures existed."))
    credits_usd = amount(allow_none=True, description="Credits: the negative amounts (<= 0), shown apart.")
    unallocated_charges_usd = amount(allow_none=True, description="Positive amounts on principal UNALLOCATED.")
    unallocated_credits_usd = amount(allow_none=True, description="Negative amounts on principal UNALLOCATED.")
    high_share = ratio()
    coverage_ratio = ratio("(by_usage + by_ownership) / total: cost allocated on evidence or a documented owner.")
    usage_expired_share = ratio()
    unallocated_share = ratio(
        "unallocated_charges / charges: the share of gross charges on principal UNALLOCATED. Credits never net it "
        "away (they are credits_usd). The same figure as /metrics, the dashboards and the unallocated_share asset "
        "check (SQL unallocated_share(), migration 0014). Null without charges.")
    team_completeness = ratio(
        "Attribution completeness: the share of charges whose team is known (not missing, empty, unknown or "
        "unallocated). Beside confidence, not part of it. Null without charges.")
    business_unit_completeness = ratio("The share of charges whose business unit is known.")
    cost_center_completeness = ratio("The share of charges whose cost center is known.")


class DaysAnswer(Schema):
    """The days an answer of the daily endpoints covers, in both forms: half-open timestamps and inclusive days."""

    from_ts = fields.String(required=True, metadata={"format": "date-time", "description": "00:00Z of the first day."})
    to_ts = fields.String(required=True, metadata={"format": "date-time",
                                                  "description": "00:00Z after the last day (exclusive)."})
    start = fields.String(allow_none=True, required=True, metadata={"format": "date", "description": "First day."})
    end = fields.String(allow_none=True, required=True, metadata={"format": "date",
                                                                  "description": "Last day, inclusive."})


class ConfidenceReport(DaysAnswer):
    data = fields.List(fields.Nested(ConfidenceRow), required=True)


class WorklistItem(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["principal", "resource"]), metadata={
        "description": "principal (its mapping entry goes under principals:) or resource (under resources:)."})
    id = fields.String(required=True, metadata={"description": "Principal id (sa-…, u-…, pool-…) or resource id "
                                                               "(lkc-…, lcc-…, env-…, …)."})
    id_type = opt_str("service_account, user, identity_pool, kafka_cluster, connector, environment, …")
    display_name = opt_str("Display name from the newest attribution of the range, when known.")
    owner = opt_str("Its owner when known (then one owners: entry fixes everything that owner owns).")
    unattributed_usd = amount(required=True, description="Charges (positive amounts) in the range without a team "
                                                         "whose attributes this id decides.")
    share = ratio("unattributed_usd / all charges of the range.")
    days = fields.Integer(required=True, metadata={"description": "Days of the range with such charges."})
    mapping_section = fields.String(required=True, validate=validate.OneOf(["principals", "resources"]))
    mapping_line = fields.String(required=True, metadata={
        "description": "The line to add under mapping_section in the mapping file (BILLING_PORTAL_MAPPING_FILE), "
                       "placeholders in <>: team, and business_unit / cost_center when those are unknown too.",
        "example": "sa-abc123: {team: <team>, business_unit: <business_unit>}"})
    mapping_yaml = fields.String(required=True, metadata={
        "description": "The same as a YAML fragment: the section and the line.",
        "example": "principals:\n  sa-abc123: {team: <team>}\n"})


class OwnershipWorklist(DaysAnswer):
    charges_usd = amount(required=True, description="All charges (positive amounts) of the range.")
    unattributed_usd = amount(required=True, description="Charges of the range without a known team (every id, "
                                                         "not only the listed ones).")
    team_completeness = ratio("Attribution completeness of the range: the share of charges with a known team.")
    data = fields.List(fields.Nested(WorklistItem), required=True)


class ReconciliationRow(Schema):
    usage_date = fields.String(required=True, metadata={"format": "date"})
    billed_usd = amount(required=True, description="Billed: the usable bill lines + the quarantined bill rows' amounts.")
    billed_lines_usd = amount(required=True, description="Bill lines stored in billing_costs.")
    bill_lines = fields.Integer(required=True)
    allocated_usd = amount(required=True, description="Sum of the hourly cost facts.")
    quarantined_usd = amount(required=True, description="Amounts of bill rows kept aside (quarantine_rows).")
    quarantined_rows = fields.Integer(required=True, metadata={"description": "Quarantined input rows (all sources)."})
    difference_usd = amount(required=True, description="billed − allocated − quarantined (zero when reconciled).")
    unallocated_usd = amount(required=True, description="Part of allocated_usd on principal UNALLOCATED.")
    balanced = fields.Boolean(required=True)


# A total of the range: every amount and count of a day summed.
ReconciliationTotals = Schema.from_dict(
    {n: f for n, f in ReconciliationRow._declared_fields.items() if n not in ("usage_date", "balanced")},
    name="ReconciliationTotals")


class Reconciliation(DaysAnswer):
    data = fields.List(fields.Nested(ReconciliationRow), required=True)
    totals = fields.Nested(ReconciliationTotals, required=True)


class ForecastMethod(Schema):
    name = fields.String(required=True)
    description = fields.String(required=True)
    window_start = fields.String(allow_none=True, required=True, metadata={"format": "date"})
    window_end = fields.String(allow_none=True, required=True, metadata={"format": "date"})
    window_days = fields.Integer(required=True, metadata={"description": "Days with data among the 7 of the window."})
    remaining_days = fields.Integer(required=True, metadata={"description": "Days of the month after as_of."})
    days_loaded = fields.Integer(required=True, metadata={"description": "Days of the month up to as_of with data."})
    days_missing = fields.Integer(required=True, metadata={
        "description": "Days of the month up to as_of without data (never loaded); estimated at the run rate."})
    estimated_days = fields.Integer(required=True, metadata={
        "description": "remaining_days + days_missing: the days the forecast estimates."})
    complete = fields.Boolean(required=True, metadata={"description": "Every day of the month has data."})


class ForecastRow(Schema):
    group = fields.Dict(keys=fields.String(), values=fields.String(allow_none=True), required=True)
    actual_usd = amount(required=True, description="Month-to-date actual up to as_of.")
    run_rate_usd_per_day = amount(required=True)
    forecast_usd = amount(required=True, description="Month-end forecast: actual + run rate × estimated days.")


class Forecast(Schema):
    month = fields.String(required=True)
    as_of = fields.String(allow_none=True, required=True, metadata={"format": "date"})
    group_by = fields.List(fields.String(), required=True)
    method = fields.Nested(ForecastMethod, required=True)
    data = fields.List(fields.Nested(ForecastRow), required=True)
    total = fields.Nested(ForecastRow, required=True)


class Health(Schema):
    status = fields.String(required=True)


class SkippedScope(Schema):
    source = fields.String(required=True, metadata={"description": "objects | catalog"})
    observed_at = fields.String(required=True, metadata={"format": "date-time"})
    scope = fields.String(allow_none=True, required=True, metadata={"description": "lsrc-…, env-… or a table"})
    reason = fields.String(required=True)


class Ready(Schema):
    status = fields.String(required=True)
    database = fields.String(required=True)
    newest_complete_partition = fields.String(allow_none=True, required=True, metadata={"format": "date"})
    partition_age_hours = fields.Float(allow_none=True, required=True,
                                       metadata={"description": "Hours since the end of that day (UTC)."})
    materialized_at = fields.String(allow_none=True, required=True, metadata={"format": "date-time"})
    skipped_scopes = fields.List(fields.Nested(SkippedScope), required=True, metadata={
        "description": "What the latest observations of objects and catalog could not read (a Schema Registry "
                       "without a key or refusing it, an environment the Cloud key is denied), and why."})


class CollectRun(Schema):
    run_id = fields.String(required=True)
    job_name = fields.String(required=True)
    start = fields.String(required=True, metadata={"format": "date"})
    end = fields.String(required=True, metadata={"format": "date"})
    status_url = fields.String(required=True)


class CollectAccepted(Schema):
    collection = fields.String(required=True)
    runs = fields.List(fields.Nested(CollectRun), required=True)


class RunStatus(Schema):
    run_id = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "Dagster run status: QUEUED, STARTING, STARTED, "
                                                                  "SUCCESS, FAILURE, CANCELED, …"})
    finished = fields.Boolean(required=True)
